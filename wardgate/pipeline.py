"""The pipeline: stage 1 (own checks + ruff, bandit, radon, semgrep, concurrently), then the
LLM reviewer when configured, then aggregation and the gate."""
from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks import processes
from checks.cache import open_cache
from checks.changes import ChangeSet
from checks.context import raise_in_context
from checks.engine import EngineResult, run_checks
from checks.facts.environment import site_packages
from checks.facts.patient_data import phi_field_names
from checks.facts.unknowns import unresolved_note
from checks.facts import COLLECTORS
from checks.finding import Finding
from checks.pathmatch import path_matches
from checks.registry import ALL_CHECKS
from checks.resources import rules_dir
from checks.source import UNANALYSED, read_regular, read_source
from checks.tools import ADAPTERS, ToolFailure, ToolResult, run_adapter
from checks.tools import comments as tool_comments
from reports import aggregate, baseline, fingerprint, redact, suppress
from reports.gate import evaluate
from reports.model import Gate, Report, ToolStat

from . import __version__, trust
from .config import Config
from .changes import change_findings, mark_found_at_base
from .files import collect_files, scan_root
from .git import Diff, changed_lines
from .progress import Progress
from .shard import select as shard_select

# Tools that parse with the running interpreter's `ast` skip files with newer syntax (WG006).
_AST_BOUND_TOOLS = frozenset({"bandit", "radon"})
# bandit (pure-Python visitors, one process) takes longest of the tools run alone: it is the
# run's critical path. It runs at normal priority; the other tools and wardgate's own workers run
# below it and fill the remaining cores, so that the run lasts about as long as bandit alone.
CRITICAL_TOOL = "bandit"
BACKGROUND_NICENESS = 10
_NO_LIMIT = 1 << 40


@dataclass
class RunOptions:
    targets: list[Path] = field(default_factory=lambda: [Path(".")])
    jobs: int | None = None
    no_llm: bool = False
    fail_on: str | None = None
    diff: str | None = None  # "" = the default base (merge base with the default branch)
    staged: bool = False
    baseline: Path | None = None
    shard: tuple[int, int] | None = None  # (index, total), 1-based
    no_cache: bool = False  # bypass the content-addressed cache (checks/cache.py)
    approved_by: list[str] | None = None  # --approved-by: "security" approves the change's edits to the gate
    trust_findings: list[Finding] = field(default_factory=list)  # WG012: the change's config edits (trust.py)


@dataclass
class RunResult:
    report: Report
    root: Path
    engine: EngineResult
    diff: Diff | None = None  # diff-aware runs: what changed (wardgate/coverage.py reads it)
    changes: ChangeSet | None = None  # diff mode: both refs' facts (checks/changes/), for approval routing


def run(config: Config, options: RunOptions, progress: Progress | None = None) -> RunResult:
    processes.start()
    try:
        return _run(config, options, progress)
    except BaseException:  # interrupted or crashed: no tool process outlives the run
        processes.kill_all()
        raise


def _run(config: Config, options: RunOptions, progress: Progress | None = None) -> RunResult:
    progress = progress or Progress(enabled=False)
    started = time.perf_counter()
    root = scan_root(options.targets)
    progress.update("collecting files")
    files = collect_files(root, options.targets, config.include, config.excludes())
    jobs = options.jobs or config.jobs or os.cpu_count() or 1
    diff: Diff | None = None
    check_paths: list[str] | None = None  # phase 2 and the tools; phase 1 always sees every file
    if options.staged or options.diff is not None:
        progress.update("reading the git diff")
        diff = changed_lines(root, options.diff or None, staged=options.staged)
        check_paths = [f for f in files if f in diff.changed]
    shard_files: set[str] | None = None
    if options.shard is not None:
        shard_files = set(shard_select(files, *options.shard))
        check_paths = [f for f in (files if check_paths is None else check_paths) if f in shard_files]
    wanted = None if check_paths is None else set(check_paths)
    checks = [c for c in ALL_CHECKS if config.rule_enabled(c.code)]
    cache = None if options.no_cache else open_cache(root, Path(config.cache_dir) if config.cache_dir else None)
    tool_futures: dict[str, Future[ToolResult]] = {}
    tool_pool = ThreadPoolExecutor(max_workers=len(ADAPTERS), thread_name_prefix="wardgate-tool")
    tool_stats: dict[str, ToolStat] = {}

    # The external tools start at once, on every file that reads and decodes, and run while
    # wardgate's own checks parse and analyse: the run then lasts about as long as its slowest
    # tool. A file the engine finds unparsable is dropped from their results afterwards.
    progress.update(f"reading {len(files)} files")
    readable = [f for f in (files if wanted is None else check_paths or []) if not isinstance(
        read_source(root, f, config.max_file_size), Finding)]
    hashes = cache.hashes(root, readable) if cache is not None else None
    for name, adapter in ADAPTERS.items():
        tcfg = getattr(config.tools, name)
        if not tcfg.enabled:
            tool_stats[name] = ToolStat(name=name, status="disabled", message="disabled in config")
            continue
        tool_stats[name] = ToolStat(name=name, status="running", files=len(readable))
        tool_futures[name] = tool_pool.submit(run_adapter, adapter, root, readable, _tool_options(name, config),
                                              tcfg.timeout, cache, hashes,
                                              0 if name == CRITICAL_TOOL else BACKGROUND_NICENESS)
    progress.update(f"running wardgate checks and {', '.join(tool_futures) or 'no tools'} on {len(files)} files")
    engine = run_checks(root, files, vocab=config.domain, checks=checks, collectors=COLLECTORS, jobs=jobs,
                        max_size=config.max_file_size, check_paths=check_paths, cache=cache,
                        niceness=BACKGROUND_NICENESS if CRITICAL_TOOL in tool_futures else 0,
                        environment=site_packages(root, config.python))
    # Files no parser accepts are one WG005 each; files with newer syntax (WG006) were skipped
    # by the tools that parse with this interpreter's `ast`, and WG006 already says so.
    unparsable = {p.path for p in engine.file_problems} - set(engine.newer_syntax)
    newer = set(engine.newer_syntax)
    findings: list[Finding] = [*engine.file_problems, *engine.findings]
    note = unresolved_note(engine.project, set(engine.parsed if check_paths is None else check_paths))
    if note is not None:
        findings.append(note)
    errors = list(engine.errors)
    for name, future in tool_futures.items():
        progress.update(f"waiting for {name}")
        try:
            try:
                result = future.result()
            except ToolFailure:
                # A file no parser accepts can crash a tool too (ruff overflows its stack on 3,000
                # nested parentheses): once, without the files wardgate reported unparsable.
                rest = [f for f in readable if f not in unparsable]
                if len(rest) == len(readable):
                    raise
                result = run_adapter(ADAPTERS[name], root, rest, _tool_options(name, config),
                                     getattr(config.tools, name).timeout, None, None)
        except ToolFailure as exc:
            tool_stats[name] = tool_stats[name].model_copy(update={"status": "failed", "message": exc.message})
            errors.append(f"{name} failed: {exc.message}")
            continue
        skip = unparsable | newer if name in _AST_BOUND_TOOLS else unparsable
        kept = [f for f in (*result.findings, *result.file_notes) if f.path not in skip]
        kept = tool_comments.apply(kept, _line_reader(root))  # the tool comments (no-qa, no-sec, no-semgrep)
        findings.extend(kept)
        tool_stats[name] = tool_stats[name].model_copy(update={
            "status": "ok", "seconds": round(result.seconds, 3), "executable": result.executable,
            "version": result.version,
            "files": len([f for f in readable if f not in skip]),
            "findings": len([f for f in kept if f.rule_id != "WG007"])})
    tool_pool.shutdown()
    # Severity in context (checks/context.py): e.g. bandit B608 in a patient-data endpoint is high.
    findings = raise_in_context(root, findings, engine.project, config.domain, config.max_file_size)
    change_run, change_stats = None, None
    if diff is not None:  # change-aware rules: base vs head of the changed files (wardgate/changes.py)
        progress.update("comparing the change with its base")
        change_run, change_stats = change_findings(root, diff, engine, config, cache, files, staged=options.staged)
        findings = [*mark_found_at_base(findings, change_run, checks), *change_run.findings]
        errors.extend(change_run.errors)
    if cache is not None:
        cache.save()

    if shard_files is not None:  # phase 1 reported on every file; this shard owns only its own
        findings = [f for f in findings if f.path in shard_files]
    # The change's edits to the gate are added after the config is applied: the config cannot hide them.
    findings = [*_apply_config(findings, config), *options.trust_findings]
    findings, extra_stats = _aggregate(findings, config, options, root, files if wanted is None else check_paths,
                                       diff)
    progress.update("LLM review")
    if options.no_llm:  # the reviewer and its provider SDKs are not even imported
        llm_stats: dict[str, Any] = {"status": "skipped", "reason": "--no-llm"}
    else:
        from checks.review import review_findings

        findings, llm_stats = review_findings(findings, root=root, settings=config.llm, enabled=True,
                                              changed_lines=diff.changed if diff is not None else None,
                                              phi_fields=phi_field_names(engine.project, config.domain))
    errors.extend([llm_stats["error"]] if llm_stats.get("error") else [])  # llm.required: unavailable = exit 3
    fail_on = config.fail_on if options.fail_on is None else type(config.fail_on)(options.fail_on)
    gate: Gate = evaluate(findings, fail_on=fail_on, max_per_category=config.gate.max_per_category,
                          max_per_severity=config.gate.max_per_severity, errors=errors)
    stats: dict[str, Any] = {
        "files_analysed": len(engine.parsed) + len(engine.newer_syntax),
        "files_not_analysed": len(engine.file_problems) - len(engine.newer_syntax),
        "files_total": len(files),
        "seconds": round(time.perf_counter() - started, 3),
        "jobs": jobs,
        "cache": cache.stats if cache is not None else {"status": "off"},
        "tools": {name: stat.model_dump(exclude={"name"}) for name, stat in tool_stats.items()},
        "llm": llm_stats,
        "errors": errors,
        "config": config.source,
        "config_origin": config.origin or ("working tree" if config.source else "defaults"),
        **extra_stats,
        **({"changes": change_stats} if change_stats is not None else {}),
        "gate_config": {"fail_on": fail_on.value,
                        "max_per_category": {k.value: v for k, v in config.gate.max_per_category.items()},
                        "max_per_severity": {k.value: v for k, v in config.gate.max_per_severity.items()}},
    }
    findings = redact.mask_snippets(findings)  # no secret or PHI through another finding's snippet
    report = Report(version=__version__, root=str(root), findings=findings, gate=gate, stats=stats)
    progress.done()
    return RunResult(report=report, root=root, engine=engine, diff=diff,
                     changes=change_run.changes if change_run is not None else None)


def _aggregate(findings: list[Finding], config: Config, options: RunOptions, root: Path, analysed: list[str],
               diff: Diff | None) -> tuple[list[Finding], dict[str, Any]]:
    """Stage 3 before the gate: de-duplicate, suppress, fingerprint, mark the diff and the baseline."""
    stats: dict[str, Any] = {}
    findings = aggregate.deduplicate(findings)
    config_rel = _relative(root, config.source)
    config_text = config.source_text if config.source_text is not None else (
        _text_reader(root)(config_rel) or "" if config_rel else "")
    findings = suppress.apply(
        findings, read_text=_text_reader(root), files=analysed, entries=config.suppressions,
        config_path=config_rel, config_text=config_text, partial=diff is not None)
    if diff is not None:
        findings += trust.inline_suppressions_added(findings, diff.changed, staged=options.staged)
    findings = [f.model_copy(update={"properties": {**f.properties, "unanalysed_allowed": True}})
                if f.rule_id in UNANALYSED and path_matches(f.path, config.allow_unanalysed) else f for f in findings]
    findings = fingerprint.assign(sorted(findings, key=Finding.sort_key), _line_reader(root))
    if diff is not None:  # a changed file that was not analysed is in the diff wherever its finding points
        # A change rule's finding is about the change by definition (a deleted registration file has no
        # head lines: its finding sits on the model it no longer audits).
        findings = [f.model_copy(update={"in_diff": bool(f.properties.get("trust_change"))
                                         or bool(f.properties.get("change_rule"))
                                         or (f.rule_id in UNANALYSED and f.path in diff.changed)
                                         or diff.touches(f.path, f.start_line, f.end_line)})
                    for f in findings]
        stats["diff"] = diff.stats()
    if options.approved_by and "security" in options.approved_by:
        findings = [f.model_copy(update={"properties": {**f.properties, "advisory": True,
                                                        "approved_by": "security"}})
                    if f.properties.get("trust_change") else f for f in findings]
    if options.shard is not None:
        stats["shard"] = {"index": options.shard[0], "total": options.shard[1], "files": len(analysed)}
    if options.baseline is not None:
        entries, baseline_notes = trust.trusted_baseline(root, options.baseline, diff, staged=options.staged)
        findings += fingerprint.assign(baseline_notes, _line_reader(root))
        findings, absent = baseline.apply(findings, entries,
                                          None if diff is None and options.shard is None else set(analysed))
        stats["baseline"] = {"file": str(options.baseline), "absent": absent,
                             "new": sum(f.baseline_state == "new" for f in findings),
                             "unchanged": sum(f.baseline_state == "unchanged" for f in findings)}
    return findings, stats


def _relative(root: Path, source: str | None) -> str | None:
    if not source:
        return None
    try:
        return Path(source).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(source).as_posix()


def _text_reader(root: Path):  # noqa: ANN202 - a small closure
    def read(rel: str) -> str | None:  # never blocks on a FIFO, never reads outside the root
        data = read_regular(root, rel, _NO_LIMIT)
        return None if isinstance(data, Finding) else data.decode("utf-8", "replace")

    return read


def _line_reader(root: Path):  # noqa: ANN202 - a small closure
    read_text = _text_reader(root)

    def read(rel: str) -> list[str] | None:
        text = read_text(rel)
        return text.splitlines() if text is not None else None

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
