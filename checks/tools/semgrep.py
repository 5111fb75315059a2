"""semgrep adapter: `semgrep scan --experimental --metrics=off --json --disable-version-check
--config RULE_FILE... FILES` (exit 0 or 1 with a JSON report; anything else is a failure).

`--experimental` selects semgrep's OCaml CLI (osemgrep), about 5x faster than the Python CLI and
identical on wardgate's rules (tests/tools/test_semgrep.py checks it); option `experimental = false`
falls back to the Python CLI.

Rules: every YAML file with a top-level `rules:` list under `rules_dir` (default: wardgate's own
rules, `checks.resources.rules_dir()`), plus option `extra_rules` (local paths, files or folders).
Each rule file is passed with its own `--config`, so other YAML files in the folder (schemas,
semgrep test data) are never read as rules.

| semgrep result                                        | wardgate                                        |
|-------------------------------------------------------|-------------------------------------------------|
| wardgate's rule (id in `rules_dir`), check_id `a.b.WG501` | rule_id `WG501` (the last dotted segment)   |
| a rule from `extra_rules`, check_id `x.y.my-rule`     | rule_id `semgrep:my-rule`                       |
| `metadata.category` a wardgate category               | that category                                   |
| `metadata.category` correctness/best-practice/maintainability/performance/portability | `quality` |
| no or another `metadata.category`                     | `security`                                      |
| `metadata.wardgate-severity`                          | that severity                                   |
| else semgrep severity ERROR / WARNING / INFO          | `high` / `medium` / `low`                       |
|   (newer names CRITICAL / HIGH / MEDIUM / LOW)        | `critical` / `high` / `medium` / `low`          |
| `metadata.cwe` ("CWE-532: …", or a list)              | `cwe` 532                                       |
| `metadata.confidence` HIGH / MEDIUM / LOW             | `confidence`                                    |
| `errors[]` with a path (e.g. PartialParsing)          | a `WG007` note for that file, the run goes on   |
| exit code not 0/1, or no JSON                         | ToolFailure                                     |

An extra rule that reuses the id of one of wardgate's rules is reported as wardgate's: keep ids
distinct. semgrep's JSON hides the matched lines without a login ("requires login"), so the
snippet is read from the file; `secret` findings carry no snippet and quoted values in their message
are masked (never print a secret).

Options (`[tool.wardgate.tools.semgrep]`): `rules_dir`, `extra_rules` (list of paths), `experimental`
(default true), `extra_args` (list, appended before the files).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ..finding import Category, Confidence, Finding, Severity
from ..masking import mask
from ..resources import rules_dir as default_rules_dir
from ..rulemeta import RuleMeta
from .base import (
    DEFAULT_TIMEOUT,
    ParseContext,
    ToolFailure,
    ToolOutput,
    ToolResult,
    execute,
    load_json,
    skipped_file,
)

NAME = "semgrep"
EXECUTABLE = "semgrep"

_CATEGORIES = {c.value: c for c in Category if c is not Category.WARDGATE}
_QUALITY = frozenset({"correctness", "best-practice", "maintainability", "performance", "portability"})
_SEMGREP_SEVERITY = {"ERROR": Severity.HIGH, "WARNING": Severity.MEDIUM, "INFO": Severity.LOW,
                     "CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM,
                     "LOW": Severity.LOW, "EXPERIMENT": Severity.INFO, "INVENTORY": Severity.INFO}
_CONFIDENCE = {"HIGH": Confidence.HIGH, "MEDIUM": Confidence.MEDIUM, "LOW": Confidence.LOW}
_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)
_QUOTED = re.compile(r"""(['"])([^'"]{4,})\1""")

_FAMILY = RuleMeta(
    id="semgrep:*", name="semgrep", category=Category.SECURITY, severity=Severity.MEDIUM, tool=NAME,
    summary="A rule from a semgrep rule file given in `extra_rules`",
    doc="## What it does\nReports matches of the semgrep rules a project adds with `extra_rules` "
        "(`semgrep:<rule id>`).\n\n## Why is this bad?\nSee the rule's message and metadata in its YAML "
        "file.\n\n## Example\nA project rule `no-raw-sql` matching `cursor.execute(f\"...\")`.\n\n"
        "Use instead:\nwhat the rule's message recommends.",
    help_uri="https://semgrep.dev/docs/writing-rules/rule-syntax",
)


# -- rule files and their metadata -------------------------------------------------------------
def rule_files(path: Path) -> list[Path]:
    """The YAML files under `path` (or `path` itself) that hold semgrep rules."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return [f for f in sorted(path.rglob("*")) if f.suffix in (".yaml", ".yml") and f.is_file()
            and not any(part.startswith(".") for part in f.relative_to(path).parts) and _rules_in(f)]


@cache
def _load(path: Path, mtime: float) -> tuple[dict[str, Any], ...]:
    import yaml  # only when a rule file is read (see RULES below)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ()
    rules = data.get("rules") if isinstance(data, dict) else None
    return tuple(r for r in rules if isinstance(r, dict) and r.get("id")) if isinstance(rules, list) else ()


def _rules_in(path: Path) -> tuple[dict[str, Any], ...]:
    try:
        return _load(path, path.stat().st_mtime)
    except OSError:
        return ()


def own_rules(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """wardgate's semgrep rules by id (from `rules_dir`)."""
    directory = directory or _default_dir()
    if directory is None:
        return {}
    return {str(r["id"]): r for f in rule_files(directory) for r in _rules_in(f)}


def _default_dir() -> Path | None:
    try:
        return default_rules_dir()
    except FileNotFoundError:
        return None


def rule_meta(rule: dict[str, Any]) -> RuleMeta:
    meta = rule.get("metadata") or {}
    message = " ".join(str(rule.get("message", rule["id"])).split())
    return RuleMeta(
        id=str(rule["id"]), name=str(meta.get("name") or rule["id"]), category=category_for(meta),
        severity=severity_for(meta, str(rule.get("severity", "WARNING"))), tool=NAME,
        summary=str(meta.get("summary") or message), doc=str(meta.get("doc") or message),
        cwe=cwe_of(meta.get("cwe")), hipaa=meta.get("hipaa"), confidence=_confidence_str(meta),
        help_uri=_first(meta.get("references")), tags=("semgrep",),
    )


def _iter_rule_metas() -> Iterator[RuleMeta]:
    for rule in own_rules().values():
        try:
            yield rule_meta(rule)
        except ValueError:  # a malformed rule is reported by the rule tests, not at import
            continue




# -- running ----------------------------------------------------------------------------------
def _configs(options: dict[str, Any]) -> list[Path]:
    own = Path(options["rules_dir"]) if options.get("rules_dir") else _default_dir()
    paths = rule_files(own) if own is not None else []
    for extra in options.get("extra_rules", ()):
        found = rule_files(Path(extra))
        if not found:
            raise ToolFailure(NAME, f"extra_rules: no semgrep rule file at {extra}")
        paths += found
    return paths


def command(exe: str, files: Sequence[str], options: dict[str, Any]) -> list[str]:
    cmd = [exe, "scan"]
    if options.get("experimental", True):
        cmd.append("--experimental")
    # --disable-nosem: wardgate applies `# nosemgrep` itself (comments.py).
    cmd += ["--metrics=off", "--json", "--disable-version-check", "--no-git-ignore", "--disable-nosem"]
    for config in _configs(options):
        cmd += ["--config", str(config.resolve())]
    cmd += [str(a) for a in options.get("extra_args", ())]
    return [*cmd, "--", *files]


def run(exe: str, root: Path, files: Sequence[str], options: dict[str, Any],
        timeout: float = DEFAULT_TIMEOUT, niceness: int = 0) -> ToolResult:
    """Skip semgrep (and its start-up) when there is no rule to run."""
    if not _configs(options):
        return ToolResult()
    output = execute(NAME, command(exe, files, options), root, timeout, niceness)
    return parse(output, ParseContext(root=root, files=tuple(files), options=options))


def parse(output: ToolOutput, ctx: ParseContext) -> ToolResult:
    report = load_json(NAME, output, ok_codes=(0, 1))
    if not isinstance(report, dict) or "results" not in report:
        raise ToolFailure(NAME, "printed JSON that is not a semgrep report", output.returncode)
    own_dir = Path(ctx.options["rules_dir"]) if ctx.options.get("rules_dir") else None
    own = own_rules(own_dir)
    result = ToolResult()
    noted: set[str] = set()
    for err in report.get("errors", ()):
        path = err.get("path") or next((s.get("file") for s in err.get("spans") or () if s.get("file")), None)
        if not path:
            if str(err.get("level", "")).lower() == "error":
                raise ToolFailure(NAME, str(err.get("message", err))[:500], output.returncode)
            continue
        rel = ctx.rel(path)
        if rel not in noted:
            noted.add(rel)
            span = (err.get("spans") or [{}])[0]
            line = int((span.get("start") or {}).get("line") or 1)
            kind = err.get("type")
            kind = kind[0] if isinstance(kind, list) and kind else kind
            reason = " ".join(str(err.get("message", kind)).split())[:300]
            result.file_notes.append(skipped_file(NAME, rel, f"{kind}: {reason}", line))
    for item in report["results"]:
        result.findings.append(_finding(item, ctx, own))
    return result


def _finding(item: dict[str, Any], ctx: ParseContext, own: dict[str, dict[str, Any]]) -> Finding:
    check_id = str(item["check_id"])
    short = check_id.rsplit(".", 1)[-1]
    extra = item.get("extra") or {}
    meta = extra.get("metadata") or {}
    rule_id = short if short in own else f"{NAME}:{short}"
    path = ctx.rel(item["path"])
    start, end = item.get("start") or {}, item.get("end") or {}
    line = int(start.get("line") or 1)
    end_line = max(line, int(end.get("line") or line))
    category = category_for(meta)
    message = " ".join(str(extra.get("message", short)).split())
    snippet = ctx.line_text(path, line, end_line)
    if category is Category.SECRET:
        message = _QUOTED.sub(lambda m: f"{m[1]}{mask(m[2])}{m[1]}", message)
        snippet = None
    return Finding(
        rule_id=rule_id, category=category, severity=severity_for(meta, str(extra.get("severity", ""))),
        tool=NAME, path=path, start_line=line, end_line=end_line, message=message,
        start_column=start.get("col"), end_column=end.get("col"), cwe=cwe_of(meta.get("cwe")),
        help_uri=_first(meta.get("references")), snippet=snippet,
        confidence=_CONFIDENCE.get(str(meta.get("confidence", "")).upper()),
        properties={"check_id": check_id},
    )


# -- mapping helpers --------------------------------------------------------------------------
def category_for(meta: dict[str, Any]) -> Category:
    value = str(meta.get("category", "")).lower()
    if value in _CATEGORIES:
        return _CATEGORIES[value]
    return Category.QUALITY if value in _QUALITY else Category.SECURITY


def severity_for(meta: dict[str, Any], semgrep_severity: str) -> Severity:
    own = str(meta.get("wardgate-severity", "")).lower()
    if own in {s.value for s in Severity}:
        return Severity(own)
    return _SEMGREP_SEVERITY.get(semgrep_severity.upper(), Severity.MEDIUM)


def cwe_of(value: Any) -> int | None:
    for item in value if isinstance(value, list) else [value]:
        m = _CWE.search(str(item or ""))
        if m:
            return int(m[1])
    return None


def _confidence_str(meta: dict[str, Any]) -> str | None:
    conf = _CONFIDENCE.get(str(meta.get("confidence", "")).upper())
    return conf.value if conf else None


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


RULES: tuple[RuleMeta, ...]  # set on first use by __getattr__


def __getattr__(name: str) -> Any:
    """RULES on first use: it parses every rule file (YAML), which `wardgate rules`, SARIF and --select
    need, but a check run whose files all hit the cache does not (40-90 ms of a pre-commit run)."""
    if name == "RULES":
        global RULES
        RULES = (*_iter_rule_metas(), _FAMILY)
        return RULES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
