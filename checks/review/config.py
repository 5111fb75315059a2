"""`[tool.wardgate.llm]`: the reviewer's provider, budgets, policy switches, cache and price table."""
from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..finding import Severity

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6"
# `api_key_env` may name only these variables (or WARDGATE_*): a config file, which a change can
# edit, must not be able to send an arbitrary secret of the CI (GITHUB_TOKEN, cloud keys) anywhere.
KEY_ENV_NAMES = frozenset({"ANTHROPIC_API_KEY", "OPENAI_API_KEY"})
KEY_ENV_PREFIX = "WARDGATE_"


class Price(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float | None = Field(default=None, ge=0)  # default: 1.25 x input
    cache_read: float | None = Field(default=None, ge=0)  # default: 0.1 x input


# List prices (USD per million tokens) as published for the Sonnet/Haiku/Opus tiers; check them against
# your contract and override or extend with `[tool.wardgate.llm.prices."model-id"]`.
DEFAULT_PRICES: dict[str, Price] = {
    "claude-sonnet-4-6": Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30),
    "claude-sonnet-4-5": Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30),
    "claude-sonnet-4-0": Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30),
    "claude-haiku-4-5": Price(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10),
    "claude-opus-4-1": Price(input=15.0, output=75.0, cache_write=18.75, cache_read=1.50),
}


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["auto", "anthropic", "openai-compatible", "none"] = Field(
        default="auto", description="auto = anthropic when ANTHROPIC_API_KEY is set, else none")
    model: str | None = Field(default=None, description=f"default: {DEFAULT_ANTHROPIC_MODEL} for anthropic")
    cheap_model: str | None = Field(default=None, description="used for hunks whose worst finding is low/info")
    cheap_max_severity: Severity = Severity.LOW
    base_url: str | None = Field(default=None, description="gateway / local endpoint; env ANTHROPIC_BASE_URL")
    api_key_env: str | None = Field(default=None, description="env var holding the key (provider default)")
    timeout: float = Field(default=60.0, gt=0, description="seconds per HTTP request (the SDK's timeout)")
    max_retries: int = Field(default=2, ge=0, le=10, description="the SDK's own retries (429, 5xx, timeouts)")
    required: bool = Field(default=False, description="an unavailable reviewer is an error (exit 3)")
    may_dismiss: bool = Field(default=False, description="non-medical likely-false-positives stop failing")
    extra_findings_gate: bool = Field(default=False, description="the reviewer's extra findings fail the gate")
    min_severity: Severity = Severity.LOW
    context_lines: int = Field(default=3, ge=0, le=50)
    max_input_tokens: int = Field(default=8000, ge=500, description="per request, estimated")
    max_output_tokens: int = Field(default=1500, ge=100)
    max_requests: int = Field(default=40, ge=0, description="per run")
    max_run_tokens: int = Field(default=300_000, ge=0, description="input + output per run")
    max_cost_usd: float = Field(default=2.0, ge=0, description="estimated, per run")
    max_consecutive_failures: int = Field(default=2, ge=1, description="then the reviewer counts as down")
    cache: str = Field(default="disk", description='"disk", "none" or "redis://host:port/db"')
    cache_dir: str = ".wardgate-cache/llm"
    cache_ttl: int = Field(default=30 * 24 * 3600, gt=0, description="seconds (Redis)")
    audit_log: str | None = Field(default=".wardgate-cache/llm-audit.jsonl", description="JSONL; relative to root")
    prompt: str = Field(default="review-v1", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                        description="template in prompts/ (a name, never a path)")
    prices: dict[str, Price] = Field(default_factory=dict)

    @field_validator("api_key_env")
    @classmethod
    def _key_env(cls, v: str | None) -> str | None:
        if v is not None and v not in KEY_ENV_NAMES and not (v.startswith(KEY_ENV_PREFIX) and len(v) > 9):
            raise ValueError(f"may name only {', '.join(sorted(KEY_ENV_NAMES))} or a {KEY_ENV_PREFIX}* variable, "
                             "never another secret of the environment")
        return v

    @model_validator(mode="after")
    def _check(self) -> LLMConfig:
        if self.provider == "openai-compatible" and not (self.base_url and self.model):
            raise ValueError("provider 'openai-compatible' needs base_url and model (e.g. http://localhost:11434/v1)")
        if not (self.cache in ("disk", "none") or self.cache.startswith(("redis://", "rediss://", "unix://"))):
            raise ValueError(f"cache must be 'disk', 'none' or a redis:// URL, got {self.cache!r}")
        return self

    def resolved_provider(self) -> str:
        if self.provider != "auto":
            return self.provider
        return "anthropic" if os.environ.get(self.key_env()) else "none"

    def key_env(self) -> str:
        if self.api_key_env:
            return self.api_key_env
        return "OPENAI_API_KEY" if self.provider == "openai-compatible" else "ANTHROPIC_API_KEY"

    def model_for(self, worst: Severity) -> str:
        if self.cheap_model and worst.rank <= self.cheap_max_severity.rank:
            return self.cheap_model
        return self.model or DEFAULT_ANTHROPIC_MODEL

    def price(self, model: str) -> Price | None:
        table = {**DEFAULT_PRICES, **self.prices}
        if model in table:
            return table[model]
        if self.resolved_provider() == "openai-compatible":
            return Price(input=0.0, output=0.0)  # local endpoint: no per-token bill
        for known, price in table.items():  # dated ids, e.g. claude-sonnet-4-5-20250929
            if model.startswith(known):
                return price
        return None

