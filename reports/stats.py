"""`stats` of the report: what ran, on what, how long, and the gate's settings (what `merge` rebuilds it from)."""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from checks.finding import Category, Severity

from .fields import Section, absent_if_unset


class ToolStat(Section):
    name: SkipJsonSchema[str] = Field(default="", exclude=True)  # the key in `stats.tools`
    status: str = Field(description="ok | failed | disabled | skipped")
    seconds: float = 0.0
    files: int = 0
    findings: int = 0
    message: str = ""
    executable: str = ""  # the program that ran (wardgate's own environment first, then PATH)
    version: str = ""


class LLMStats(Section):
    """The reviewer's own counters come on top of these (checks/review/)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    status: str
    reason: str | None = absent_if_unset()
    error: str | None = absent_if_unset(description="llm.required and the reviewer unavailable: the run fails")


class DiffStats(Section):
    base: str
    files_changed: int
    renamed: int
    deleted: int
    binary: int
    note: str = absent_if_unset("")


class ShardStats(Section):
    index: int
    total: int
    files: int


class BaselineEntry(Section):
    path: str
    rule_id: str
    fingerprint: str
    count: int


class BaselineStats(Section):
    file: str
    absent: list[BaselineEntry]
    new: int
    unchanged: int


class ChangeStats(Section):
    """The change rules' run (wardgate/changes.py)."""

    base: str
    files: int
    base_facts_cached: int
    base_facts_collected: int
    findings: int
    seconds: float


class GatePolicy(Section):
    """The gate's settings, as the run applied them (`[tool.wardgate.gate]`, `--fail-on`)."""

    fail_on: Severity = Severity.HIGH
    max_per_category: dict[Category, int] = Field(default_factory=dict)
    max_per_severity: dict[Severity, int] = Field(default_factory=dict)


class MergeStats(Section):
    reports: int
    shards: list[int]
    warning: str = absent_if_unset("")


class Stats(Section):
    files_analysed: int = 0
    files_not_analysed: int = 0
    files_total: int = 0
    seconds: float = 0.0
    jobs: int | None = absent_if_unset()
    cache: dict[str, Any] | None = absent_if_unset()  # the cache's own counters (checks/cache.py)
    tools: dict[str, ToolStat] = Field(default_factory=dict)
    llm: LLMStats | None = absent_if_unset()
    errors: list[str] = Field(default_factory=list)
    config: str | None = None
    config_origin: str | None = absent_if_unset()
    diff: DiffStats | None = absent_if_unset()
    shard: ShardStats | None = absent_if_unset()
    baseline: BaselineStats | None = absent_if_unset()
    changes: ChangeStats | None = absent_if_unset()
    gate_config: GatePolicy = Field(default_factory=GatePolicy)
    merged: MergeStats | None = absent_if_unset()
