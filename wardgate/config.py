"""Configuration: `[tool.wardgate]` in pyproject.toml, or a `wardgate.toml`, validated by pydantic.

A bad key or value is a `ConfigError` naming the file, the key and what is allowed (exit 2).
"""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from checks.finding import Category, Severity
from checks.pathmatch import PathPattern
from checks.review.config import LLMConfig
from checks.source import DEFAULT_MAX_FILE_SIZE
from checks.vocabulary import Vocabulary

from .approvals import ApprovalsConfig
from .coverage import CoverageConfig

DEFAULT_EXCLUDES = (
    ".git/**", "**/.git/**", ".venv/**", "**/.venv/**", "venv/**", "**/venv/**", "env/**", ".env/**",
    "**/site-packages/**", "**/node_modules/**", "build/**", "dist/**", "**/__pycache__/**",
    ".tox/**", ".nox/**", "**/.mypy_cache/**", "**/.ruff_cache/**", "**/.pytest_cache/**",
    "**/*.egg-info/**", "htmlcov/**", "staticfiles/**", "**/static/**",
)
# Migrations are deliberately analysed: a migration can drop an audited column.


class ConfigError(Exception):
    """Raised for an invalid configuration; the CLI prints it and exits 2."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolConfig(_Strict):
    enabled: bool = True
    timeout: float = Field(default=1800.0, gt=0)
    extra_args: list[str] = Field(default_factory=list)


class RuffConfig(ToolConfig):
    # ruff's classic defaults (pyflakes and the error-level pycodestyle rules): bugs, not style.
    # ruff runs --isolated (the project's ruff config is not read); `select = []` is ruff's defaults.
    select: list[str] = Field(default_factory=lambda: ["E4", "E7", "E9", "F"])


class BanditConfig(ToolConfig):
    skip: list[str] = Field(default_factory=list)


class RadonConfig(ToolConfig):
    cc_min_rank: Literal["A", "B", "C", "D", "E", "F"] = "C"
    mi_min_rank: Literal["A", "B", "C"] = "C"


class SemgrepConfig(ToolConfig):
    extra_rules: list[str] = Field(default_factory=list, description="Local rule files or folders")
    experimental: bool = True  # the OCaml CLI: identical results, 5x faster start-up

    @field_validator("extra_rules")
    @classmethod
    def _local_only(cls, v: list[str]) -> list[str]:
        for item in v:
            if item.startswith(("p/", "r/", "http://", "https://")) or item == "auto":
                raise ValueError(f"{item!r} is a registry ruleset; wardgate runs offline: give a local path")
        return v


class ToolsConfig(_Strict):
    ruff: RuffConfig = Field(default_factory=RuffConfig)
    bandit: BanditConfig = Field(default_factory=BanditConfig)
    radon: RadonConfig = Field(default_factory=RadonConfig)
    semgrep: SemgrepConfig = Field(default_factory=SemgrepConfig)


class RuleOverride(_Strict):
    severity: Severity | None = None
    enabled: bool = True


class SuppressionEntry(_Strict):
    rule: str
    path: PathPattern = "**"
    reason: str = ""
    expires: date | None = None


class GateConfig(_Strict):
    """Thresholds beyond `fail_on` (see reports/gate.py)."""

    max_per_category: dict[Category, int] = Field(default_factory=dict)
    max_per_severity: dict[Severity, int] = Field(default_factory=dict)


class Config(_Strict):
    include: list[PathPattern] = Field(default_factory=lambda: ["**/*.py"])
    exclude: list[PathPattern] = Field(default_factory=list)
    default_excludes: bool = True
    allow_unanalysed: list[PathPattern] = Field(default_factory=list, description="Globs of .py files that may stay "
                                        "unanalysed without failing the gate (WG001-WG005 are still reported)")
    max_file_size: int = Field(default=DEFAULT_MAX_FILE_SIZE, gt=0)
    jobs: int = Field(default=0, ge=0, description="0 = the CPU count")
    cache_dir: str | None = Field(default=None, description="Cache folder (default: .wardgate-cache in the scan root)")
    python: str | None = Field(default=None, description="The project's interpreter or virtualenv, whose installed "
                               "packages wardgate reads (never imports) to resolve base classes; default: "
                               "VIRTUAL_ENV, else .venv/ or venv/ in the tree")
    fail_on: Severity = Severity.HIGH
    select: list[str] = Field(default_factory=list, description="Rule id prefixes to run (empty = all)")
    disable: list[str] = Field(default_factory=list, description="Rule id prefixes never reported")
    rules: dict[str, RuleOverride] = Field(default_factory=dict)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    domain: Vocabulary = Field(default_factory=Vocabulary)
    gate: GateConfig = Field(default_factory=GateConfig)
    suppressions: list[SuppressionEntry] = Field(default_factory=list)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    coverage: CoverageConfig = Field(default_factory=CoverageConfig)

    source: str | None = Field(default=None, exclude=True)  # the file it came from
    # Where it was read from, for the report: "working tree", "BASE <rev>", "--config" (wardgate/trust.py).
    origin: str | None = Field(default=None, exclude=True)
    source_text: str | None = Field(default=None, exclude=True)  # its text, when not read from disk

    def excludes(self) -> list[str]:
        return [*(DEFAULT_EXCLUDES if self.default_excludes else ()), *self.exclude]

    def rule_enabled(self, rule_id: str) -> bool:
        if any(rule_id.startswith(p) for p in self.disable):
            return False
        override = self.rules.get(rule_id)
        if override is not None and not override.enabled:
            return False
        return not self.select or any(rule_id.startswith(p) for p in self.select) or rule_id.startswith("WG0")

    def severity_for(self, rule_id: str, default: Severity) -> Severity:
        override = self.rules.get(rule_id)
        return override.severity if override and override.severity else default


def find_config(start: Path) -> Path | None:
    """`wardgate.toml`, else a pyproject.toml with a [tool.wardgate] table, in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "wardgate.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "wardgate" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
                    return pyproject
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                return pyproject  # let load_config report the broken file
        if (folder / ".git").exists():
            break
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path, source: str | None = None) -> Config:
    """A Config from the text of `path` (read from disk or from git); `source` names it in the report."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source or path}: not valid TOML: {exc}") from exc
    prefix = ""
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("wardgate", {})
        prefix = "tool.wardgate."
    elif "wardgate" in data and len(data) == 1 and isinstance(data["wardgate"], dict):
        data, prefix = data["wardgate"], "wardgate."
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(Path(source) if source else path, prefix, exc)) from exc
    config.source = source or str(path)
    config.source_text = text
    return config


def _explain(path: Path, prefix: str, exc: ValidationError) -> str:
    lines = [f"{path}: invalid wardgate configuration:"]
    for err in exc.errors():
        key = prefix + ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parent = _model_at(Config, err["loc"][:-1])
            allowed = ", ".join(sorted(parent.model_fields)) if parent else "see the README"
            lines.append(f"  {key}: unknown key (allowed here: {allowed})")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None) if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model
