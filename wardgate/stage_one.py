"""Stage 1: wardgate's own checks and the external tools (ruff, bandit, radon, semgrep), concurrently.

The tools start at once, on every file that reads and decodes, and run while wardgate's own checks parse
and analyse: the run then lasts about as long as its slowest tool.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks import config_files as config_secrets
from checks import env_files as env_secrets
from checks.cache import Cache
from checks.context import raise_in_context
from checks.engine import EngineResult, run_checks
from checks.facts import COLLECTORS
from checks.facts.environment import site_packages
from checks.facts.unknowns import unresolved_note
from checks.finding import Finding
from checks.processes import result_of
from checks.registry import ALL_CHECKS
from checks.resources import rules_dir
from checks.source import read_regular, read_source
from checks.tools import ADAPTERS, ToolFailure, ToolResult, run_adapter
from checks.tools import comments as tool_comments
from reports.stats import ToolStat

from .config import Config
from .progress import Progress
from .readers import line_reader

# Tools that parse with the running interpreter's `ast` skip files with newer syntax (WG006).
_AST_BOUND_TOOLS = frozenset({"bandit", "radon"})
# bandit (pure-Python visitors, one process) takes longest of the tools run alone: it is the
# run's critical path. It runs at normal priority; the other tools and wardgate's own workers run
# below it and fill the remaining cores, so that the run lasts about as long as bandit alone.
CRITICAL_TOOL = "bandit"
BACKGROUND_NICENESS = 10


@dataclass
class StageOne:
    findings: list[Finding]
    errors: list[str]
    engine: EngineResult
    tools: dict[str, ToolStat]


def run_stage_one(config: Config, root: Path, files: list[str], check_paths: list[str] | None, jobs: int,
                  cache: Cache | None, progress: Progress,
                  meanwhile: Callable[[EngineResult], None] | None = None) -> StageOne:
    """The project model and phase 1 from every file; phase 2 and the tools on `check_paths` (None: every
    file). A file the engine finds unparsable is dropped from the tools' results afterwards. `meanwhile`
    runs on the project model while phase 2 does (checks/engine.py)."""
    progress.update(f"reading {len(files)} files")
    readable = [f for f in (files if check_paths is None else check_paths)
                if not isinstance(read_source(root, f, config.max_file_size), Finding)]
    pool = ThreadPoolExecutor(max_workers=len(ADAPTERS), thread_name_prefix="wardgate-tool")
    futures, tool_stats = _start_tools(pool, config, root, readable, cache)
    progress.update(f"running wardgate checks and {', '.join(futures) or 'no tools'} on {len(files)} files")
    engine = run_checks(root, files, vocab=config.domain, checks=[c for c in ALL_CHECKS if config.rule_enabled(c.code)],
                        collectors=COLLECTORS, jobs=jobs, max_size=config.max_file_size, check_paths=check_paths,
                        cache=cache, niceness=BACKGROUND_NICENESS if CRITICAL_TOOL in futures else 0,
                        environment=site_packages(root, config.python), meanwhile=meanwhile)
    findings: list[Finding] = [*engine.file_problems, *engine.findings]
    note = unresolved_note(engine.project, set(engine.parsed if check_paths is None else check_paths), config.domain)
    if note is not None:
        findings.append(note)
    errors = list(engine.errors)
    for name, future in futures.items():
        progress.update(f"waiting for {name}")
        try:
            kept, tool_stats[name] = _tool_findings(name, future, tool_stats[name], config, root, readable, engine)
        except ToolFailure as exc:
            tool_stats[name] = tool_stats[name].model_copy(update={"status": "failed", "message": exc.message})
            errors.append(f"{name} failed: {exc.message}")
            continue
        findings.extend(kept)
    pool.shutdown()
    # Severity in context (checks/context.py): e.g. bandit B608 in a patient-data endpoint is high.
    findings = raise_in_context(root, findings, engine.project, config.domain, config.max_file_size)
    return StageOne(findings, errors, engine, tool_stats)


def env_file_findings(config: Config, root: Path, env_files: list[str]) -> list[Finding]:
    """WG107 on the committed dotenv files and WG110 on the YAML configuration files (the engine reads Python;
    these are read here, size-capped)."""
    out: list[Finding] = []
    for rel in env_files:
        rule = env_secrets if env_secrets.is_env_file(rel) else config_secrets
        if not config.rule_enabled(rule.CODE):
            continue
        data = read_regular(root, rel, rule.MAX_BYTES)
        if isinstance(data, Finding) or b"\x00" in data[:1024]:
            continue  # unreadable, huge or binary: a settings file is none of these
        out += rule.scan(rel, data.decode("utf-8", "replace"))
    return out


def _start_tools(pool: ThreadPoolExecutor, config: Config, root: Path, readable: list[str],
                 cache: Cache | None) -> tuple[dict[str, Future[ToolResult]], dict[str, ToolStat]]:
    """Every enabled tool on the readable files; bandit, the critical path, at normal priority."""
    hashes = cache.hashes(root, readable) if cache is not None else None
    stats: dict[str, ToolStat] = {}
    futures: dict[str, Future[ToolResult]] = {}
    for name, adapter in ADAPTERS.items():
        tcfg = getattr(config.tools, name)
        if not tcfg.enabled:
            stats[name] = ToolStat(name=name, status="disabled", message="disabled in config")
            continue
        stats[name] = ToolStat(name=name, status="running", files=len(readable))
        futures[name] = pool.submit(run_adapter, adapter, root, readable, _tool_options(name, config), tcfg.timeout,
                                    cache, hashes, 0 if name == CRITICAL_TOOL else BACKGROUND_NICENESS)
    return futures, stats


def _tool_findings(name: str, future: Future[ToolResult], stat: ToolStat, config: Config, root: Path,
                   readable: list[str], engine: EngineResult) -> tuple[list[Finding], ToolStat]:
    """A tool's findings on the files wardgate could analyse, after the tools' own comments (no-qa…)."""
    # Files no parser accepts are one WG005 each; files with newer syntax (WG006) were skipped
    # by the tools that parse with this interpreter's `ast`, and WG006 already says so.
    unparsable = {p.path for p in engine.file_problems} - set(engine.newer_syntax)
    result = _tool_result(name, future, config, root, readable, unparsable)
    skip = unparsable | set(engine.newer_syntax) if name in _AST_BOUND_TOOLS else unparsable
    kept = [f for f in (*result.findings, *result.file_notes) if f.path not in skip]
    kept = tool_comments.apply(kept, line_reader(root))
    return kept, stat.model_copy(update={
        "status": "ok", "seconds": round(result.seconds, 3), "executable": result.executable,
        "version": result.version, "files": len([f for f in readable if f not in skip]),
        "findings": len([f for f in kept if f.rule_id != "WG007"])})


def _tool_result(name: str, future: Future[ToolResult], config: Config, root: Path, readable: list[str],
                 unparsable: set[str]) -> ToolResult:
    try:
        return result_of(future)
    except ToolFailure:
        # A file no parser accepts can crash a tool too (ruff overflows its stack on 3,000 nested
        # parentheses): once more, without the files wardgate reported unparsable.
        rest = [f for f in readable if f not in unparsable]
        if len(rest) == len(readable):
            raise
        return run_adapter(ADAPTERS[name], root, rest, _tool_options(name, config),
                           getattr(config.tools, name).timeout, None, None)


def _tool_options(name: str, config: Config) -> dict[str, Any]:
    opts: dict[str, Any] = getattr(config.tools, name).model_dump(exclude={"enabled", "timeout"})
    if name == "semgrep":
        opts["rules_dir"] = str(rules_dir())
    return opts
