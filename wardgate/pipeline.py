"""The pipeline: stage 1 (own checks + ruff, bandit, radon, semgrep, concurrently), then the
LLM reviewer when configured, then aggregation and the gate."""
from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.engine import EngineResult, run_checks
from checks.facts import COLLECTORS
from checks.finding import Finding
from checks.registry import ALL_CHECKS
from checks.resources import rules_dir
from checks.review import review_findings
from checks.tools import ADAPTERS, ToolFailure, ToolResult, run_adapter
from reports import fingerprint
from reports.gate import evaluate
from reports.model import Gate, Report, ToolStat

from . import __version__
from .config import Config
from .files import collect_files, scan_root
from .progress import Progress

# Tools that parse with the running interpreter's `ast` skip files with newer syntax (WG006).
_AST_BOUND_TOOLS = frozenset({"bandit", "radon"})


@dataclass
class RunOptions:
    targets: list[Path] = field(default_factory=lambda: [Path(".")])
    jobs: int | None = None
    no_llm: bool = False
    fail_on: str | None = None


@dataclass
class RunResult:
    report: Report
    root: Path
    engine: EngineResult


def run(config: Config, options: RunOptions, progress: Progress | None = None) -> RunResult:
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    root = scan_root(options.targets)
    progress.update("collecting files")
    files = collect_files(root, options.targets, config.include, config.excludes())
    jobs = options.jobs or config.jobs or os.cpu_count() or 1
    checks = [c for c in ALL_CHECKS if config.rule_enabled(c.code)]
    tool_futures: dict[str, Future[ToolResult]] = {}
    tool_pool = ThreadPoolExecutor(max_workers=len(ADAPTERS), thread_name_prefix="wardgate-tool")
    tool_stats: dict[str, ToolStat] = {}

    def start_tools(parsed: EngineResult) -> None:
        """Called between the engine's phases: the tools run while wardgate's own checks do."""
        for name, adapter in ADAPTERS.items():
            tcfg = getattr(config.tools, name)
            if not tcfg.enabled:
                tool_stats[name] = ToolStat(name=name, status="disabled", message="disabled in config")
                continue
            targets = parsed.parsed if name in _AST_BOUND_TOOLS else sorted(parsed.parsed + parsed.newer_syntax)
            tool_stats[name] = ToolStat(name=name, status="running", files=len(targets))
            tool_futures[name] = tool_pool.submit(run_adapter, adapter, root, targets, _tool_options(name, config),
                                                  tcfg.timeout)
        progress.update(f"running wardgate checks and {', '.join(tool_futures) or 'no tools'} on {len(files)} files")

    progress.update(f"parsing {len(files)} files")
    engine = run_checks(root, files, vocab=config.domain, checks=checks, collectors=COLLECTORS, jobs=jobs,
                        max_size=config.max_file_size, on_parsed=start_tools)
    findings: list[Finding] = [*engine.file_problems, *engine.findings]
    errors = list(engine.errors)
    for name, future in tool_futures.items():
        progress.update(f"waiting for {name}")
        try:
            result = future.result()
        except ToolFailure as exc:
            tool_stats[name] = tool_stats[name].model_copy(update={"status": "failed", "message": exc.message})
            errors.append(f"{name} failed: {exc.message}")
            continue
        findings.extend(result.findings)
        findings.extend(result.file_notes)
        tool_stats[name] = tool_stats[name].model_copy(
            update={"status": "ok", "seconds": round(result.seconds, 3), "findings": len(result.findings)})
    tool_pool.shutdown()

    findings = _apply_config(findings, config)
    findings = fingerprint.assign(sorted(findings, key=Finding.sort_key), _line_reader(root))
    progress.update("LLM review")
    findings, llm_stats = review_findings(findings, root=root, settings=config.llm, enabled=not options.no_llm)
    fail_on = config.fail_on if options.fail_on is None else type(config.fail_on)(options.fail_on)
    gate: Gate = evaluate(findings, fail_on=fail_on, max_per_category=config.gate.max_per_category,
                          max_per_severity=config.gate.max_per_severity, errors=errors)
    stats: dict[str, Any] = {
        "files_analysed": len(engine.parsed) + len(engine.newer_syntax),
        "files_not_analysed": len(engine.file_problems) - len(engine.newer_syntax),
        "files_total": len(files),
        "seconds": round(time.perf_counter() - started, 3),
        "jobs": jobs,
        "tools": {name: stat.model_dump(exclude={"name"}) for name, stat in tool_stats.items()},
        "llm": llm_stats,
        "errors": errors,
        "config": config.source,
    }
    report = Report(version=__version__, root=str(root), findings=findings, gate=gate, stats=stats)
    progress.done()
    return RunResult(report=report, root=root, engine=engine)


def _line_reader(root: Path):  # noqa: ANN202 - a small closure
    def read(rel: str) -> list[str] | None:
        try:
            return (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None

    return read


def _tool_options(name: str, config: Config) -> dict[str, Any]:
    opts = getattr(config.tools, name).model_dump(exclude={"enabled", "timeout"})
    if name == "semgrep":
        opts["rules_dir"] = str(rules_dir())
    return opts


def _apply_config(findings: list[Finding], config: Config) -> list[Finding]:
    out = []
    for f in findings:
        if not config.rule_enabled(f.rule_id):
            continue
        severity = config.severity_for(f.rule_id, f.severity)
        out.append(f if severity is f.severity else f.model_copy(update={"severity": severity}))
    return out
