"""The pipeline: stage 1 (own checks + ruff, bandit, radon, semgrep, concurrently), then the
LLM reviewer when configured, then aggregation, the diff-mode sections and the gate.

`run` reads as the stages: what to analyse (`_scope`), stage 1 (wardgate/stage_one.py: the tools start
at once and run while wardgate's own checks work), the change rules in diff mode, stage 3 before the gate
(`_aggregate`), stage 2 (`_review`, the LLM reviewer), the diff-mode sections (`_change_review`:
approvals, change metrics, test suggestions; `_coverage`: changed-line coverage) and, last, the verdict
(reports/gate.py), decided once from everything the report holds.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks import processes
from checks.cache import open_cache
from checks.changes import ChangeRun, ChangeSet
from checks.engine import EngineResult
from checks.facts.patient_data import phi_field_names
from checks.finding import Finding
from checks.pathmatch import path_matches
from checks.registry import ALL_CHECKS
from checks.source import UNANALYSED
from reports import aggregate, baseline, fingerprint, redact, suppress
from reports.gate import decide
from reports.model import Report
from reports.sections import Approvals, ChangeMetrics, Coverage, TestSuggestion
from reports.stats import BaselineStats, ChangeStats, GatePolicy, LLMStats, ShardStats, Stats

from . import __version__, trust
from .approvals import ApprovalsConfig, Context
from .changes import change_findings, mark_found_at_base
from .config import Config
from .coverage import measure as measure_coverage
from .files import collect_env_files, collect_files, scan_root
from .git import Diff, changed_lines
from .progress import Progress
from .readers import line_reader, text_reader
from .shard import select as shard_select
from .shard import shard_of
from .stage_one import env_file_findings, run_stage_one

if TYPE_CHECKING:
    from reports.coverage_file import CoverageData


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
    approved_by: list[str] | None = None  # --approved-by: roles that approved; in diff mode a missing one fails
    trust_findings: list[Finding] = field(default_factory=list)  # WG012: the change's config edits (trust.py)
    coverage: CoverageData | None = None  # --coverage: the change's own test coverage (diff mode)


@dataclass
class RunResult:
    report: Report
    root: Path
    engine: EngineResult
    diff: Diff | None = None  # diff-aware runs: what changed
    changes: ChangeSet | None = None  # diff mode: both refs' facts (checks/changes/)


@dataclass
class _Scope:
    """What this run analyses: every file for the project model, the changed (and this shard's) ones for the rest."""

    root: Path
    files: list[str]
    diff: Diff | None
    check_paths: list[str] | None  # None: every file
    shard: tuple[int, int] | None
    env_files: list[str] = field(default_factory=list)  # dotenv files to read for secrets (in the diff, if any)

    @property
    def analysed(self) -> list[str]:
        return self.files if self.check_paths is None else self.check_paths

    def shard_stats(self) -> ShardStats | None:
        return None if self.shard is None else ShardStats(index=self.shard[0], total=self.shard[1],
                                                          files=len(self.analysed))

    def owns(self, path: str) -> bool:
        """Whether this run reports on `path`: in a shard, the paths that hash to it (any file, not
        only Python: the change's edits to wardgate.toml are reported by exactly one shard)."""
        return self.shard is None or shard_of(path, self.shard[1]) == self.shard[0]


def run(config: Config, options: RunOptions, progress: Progress | None = None) -> RunResult:
    processes.start()
    try:
        return _run(config, options, progress or Progress(enabled=False))
    except BaseException:  # interrupted or crashed: no tool process outlives the run
        processes.kill_all()
        raise


def _run(config: Config, options: RunOptions, progress: Progress) -> RunResult:
    started = time.perf_counter()
    scope = _scope(config, options, progress)
    jobs = options.jobs or config.jobs or os.cpu_count() or 1
    cache = None if options.no_cache else open_cache(scope.root, Path(config.cache_dir) if config.cache_dir else None)
    changed: list[tuple[ChangeRun, ChangeStats]] = []
    diff = scope.diff

    def compare_with_base(engine: EngineResult) -> None:
        # Change-aware rules: base vs head of the changed files (wardgate/changes.py). They need the
        # project model only, so they run while the checks' phase 2 does.
        assert diff is not None
        progress.update("comparing the change with its base")
        changed.append(change_findings(scope.root, diff, engine, config, cache, scope.files, staged=options.staged))

    one = run_stage_one(config, scope.root, scope.files, scope.check_paths, jobs, cache, progress,
                        meanwhile=compare_with_base if diff is not None else None)
    findings, errors, engine = one.findings, one.errors, one.engine
    findings += env_file_findings(config, scope.root, scope.env_files)
    change_run, change_stats = changed[0] if changed else (None, None)
    if change_run is not None:
        checks = [c for c in ALL_CHECKS if config.rule_enabled(c.code)]
        findings = [*mark_found_at_base(findings, change_run, checks), *change_run.findings]
        errors.extend(change_run.errors)
    if cache is not None:
        cache.save()
    # The change's edits to the gate are added after the config is applied: the config cannot hide them.
    findings = [*_apply_config(findings, config), *options.trust_findings]
    findings = [f for f in findings if scope.owns(f.path)]  # phase 1 reported on every file
    findings, baseline_stats = _aggregate(findings, config, options, scope)
    findings, llm = _review(findings, config, options, scope, engine)
    if llm.error:  # llm.required: an unavailable reviewer is exit 3
        errors.append(llm.error)
    findings = redact.mask_snippets(findings)  # no secret or PHI through another finding's snippet
    approvals, metrics, suggestions = _change_review(findings, config, options, scope, engine, change_run)
    coverage = _coverage(config, options, scope, engine)
    policy = GatePolicy(fail_on=config.fail_on if options.fail_on is None else type(config.fail_on)(options.fail_on),
                        max_per_category=config.gate.max_per_category, max_per_severity=config.gate.max_per_severity)
    stats = Stats(
        files_analysed=len(set(engine.parsed) | set(engine.newer_syntax)),
        files_not_analysed=len(engine.file_problems) - len(engine.newer_syntax) - len(engine.python2),
        files_total=len(scope.files), seconds=round(time.perf_counter() - started, 3), jobs=jobs,
        cache=cache.stats if cache is not None else {"status": "off"}, tools=one.tools, llm=llm, errors=errors,
        config=config.source, config_origin=config.origin or ("working tree" if config.source else "defaults"),
        diff=scope.diff.stats() if scope.diff is not None else None, shard=scope.shard_stats(),
        baseline=baseline_stats, changes=change_stats, gate_config=policy)
    gate = decide(findings, policy, errors=errors, approvals=approvals, metrics=metrics, coverage=coverage)
    report = Report(version=__version__, root=str(scope.root), findings=findings, gate=gate, stats=stats,
                    approvals=approvals, change_metrics=metrics, test_suggestions=suggestions, coverage=coverage)
    progress.done()
    return RunResult(report=report, root=scope.root, engine=engine, diff=scope.diff,
                     changes=change_run.changes if change_run is not None else None)


def _scope(config: Config, options: RunOptions, progress: Progress) -> _Scope:
    root = scan_root(options.targets)
    progress.update("collecting files")
    diff_run = options.staged or options.diff is not None
    files = collect_files(root, options.targets, config.include, config.excludes(), special=not diff_run)
    diff: Diff | None = None
    check_paths: list[str] | None = None  # phase 2 and the tools; phase 1 always sees every file
    if diff_run:
        progress.update("reading the git diff")
        diff = changed_lines(root, options.diff or None, staged=options.staged)  # the run's one diff
        check_paths = [f for f in files if f in diff.changed]
    if options.shard is not None:
        shard_files = set(shard_select(files, *options.shard))
        check_paths = [f for f in (files if check_paths is None else check_paths) if f in shard_files]
    env_files = collect_env_files(root, options.targets, config.excludes(),
                                  among=diff.changed if diff is not None else None)
    return _Scope(root, files, diff, check_paths, options.shard, env_files)


def _aggregate(findings: list[Finding], config: Config, options: RunOptions,
               scope: _Scope) -> tuple[list[Finding], BaselineStats | None]:
    """Stage 3 before the gate: de-duplicate, suppress, fingerprint, mark the diff and the baseline."""
    root, diff, analysed = scope.root, scope.diff, scope.analysed
    findings = aggregate.deduplicate(findings)
    config_rel = _relative(root, config.source)
    config_text = config.source_text if config.source_text is not None else (
        text_reader(root)(config_rel) or "" if config_rel else "")
    findings = suppress.apply(
        findings, read_text=text_reader(root), files=analysed, entries=config.suppressions,
        config_path=config_rel, config_text=config_text, partial=diff is not None)
    if diff is not None:
        findings += trust.inline_suppressions_added(findings, diff.changed, staged=options.staged)
    findings = [f.model_copy(update={"properties": {**f.properties, "unanalysed_allowed": True}})
                if f.rule_id in UNANALYSED and path_matches(f.path, config.allow_unanalysed) else f for f in findings]
    findings = fingerprint.assign(sorted(findings, key=Finding.sort_key), line_reader(root))
    if diff is not None:
        findings = [f.model_copy(update={"in_diff": _in_diff(f, diff)}) for f in findings]
    if options.approved_by and "security" in options.approved_by:
        findings = [f.model_copy(update={"properties": {**f.properties, "advisory": True,
                                                        "approved_by": "security"}})
                    if f.properties.get("trust_change") else f for f in findings]
    if options.baseline is None:
        return findings, None
    return _apply_baseline(findings, options.baseline, options, scope)


def _apply_baseline(findings: list[Finding], path: Path, options: RunOptions,
                    scope: _Scope) -> tuple[list[Finding], BaselineStats]:
    """Mark findings new or unchanged against the baseline (read from the diff base in a diff run)."""
    entries, notes = trust.trusted_baseline(scope.root, path, scope.diff, staged=options.staged)
    findings = [*findings, *fingerprint.assign([f for f in notes if scope.owns(f.path)], line_reader(scope.root))]
    partial = scope.diff is not None or scope.shard is not None  # entries of files not analysed are not absent
    findings, absent = baseline.apply(findings, entries, set(scope.analysed) if partial else None)
    return findings, BaselineStats(file=str(path), absent=absent, new=sum(f.baseline_state == "new" for f in findings),
                                   unchanged=sum(f.baseline_state == "unchanged" for f in findings))


def _in_diff(f: Finding, diff: Diff) -> bool:
    # A change rule's finding is about the change by definition (a deleted registration file has no head
    # lines: its finding sits on the model it no longer audits); a changed file that was not analysed is in
    # the diff wherever its finding points.
    return (bool(f.properties.get("trust_change")) or bool(f.properties.get("change_rule"))
            or (f.rule_id in UNANALYSED and f.path in diff.changed) or diff.touches(f.path, f.start_line, f.end_line))


def _review(findings: list[Finding], config: Config, options: RunOptions, scope: _Scope,
            engine: EngineResult) -> tuple[list[Finding], LLMStats]:
    """Stage 2, the LLM reviewer; with --no-llm neither it nor its provider SDKs are imported."""
    if options.no_llm:
        return findings, LLMStats(status="skipped", reason="--no-llm")
    from checks.review import review_findings

    reviewed, stats = review_findings(findings, root=scope.root, settings=config.llm, enabled=True,
                                      changed_lines=scope.diff.changed if scope.diff is not None else None,
                                      phi_fields=phi_field_names(engine.project, config.domain))
    return reviewed, LLMStats.model_validate(stats)


def _change_review(findings: list[Finding], config: Config, options: RunOptions, scope: _Scope, engine: EngineResult,
                   change_run: Any) -> tuple[Approvals | None, ChangeMetrics | None, list[TestSuggestion] | None]:
    """Diff mode: the roles that must approve, the changed functions' metrics, the tests to write."""
    cfg: ApprovalsConfig = config.approvals
    if scope.diff is None or not cfg.enabled:
        return None, None, None
    if options.staged and options.approved_by is None:
        # A commit has no approvers: routing and metrics are pull-request gates (`--diff` in CI).
        # Skipping them keeps the pre-commit hook under a second; `--approved-by` turns them on.
        return None, None, None
    from .approvals import load_changes, review_change  # the detectors load only when routing runs

    changes = load_changes(scope.root, options.diff, staged=options.staged, diff=scope.diff)
    project = engine.project
    base = change_run.changes if change_run is not None else None  # the base's project model (change rules)
    ctx = Context(changes=changes, models=project.fact("django_models"), code=project.fact("django_code"),
                  vocab=config.domain, base_models=base.models("base") if base is not None else None,
                  base_code=base.code("base") if base is not None else None)
    review = review_change(changes, ctx, findings, cfg, options.approved_by)
    return review.approvals, review.metrics, review.suggestions


def _coverage(config: Config, options: RunOptions, scope: _Scope, engine: EngineResult) -> Coverage | None:
    if options.coverage is None or scope.diff is None:
        return None
    return measure_coverage(scope.root, scope.diff, engine.project.fact("django_models"), config.coverage,
                            options.coverage)


def _relative(root: Path, source: str | None) -> str | None:
    if not source:
        return None
    try:
        return Path(source).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(source).as_posix()


def _apply_config(findings: list[Finding], config: Config) -> list[Finding]:
    out = []
    for f in findings:
        if not config.rule_enabled(f.rule_id):
            continue
        severity = config.severity_for(f.rule_id, f.severity)
        out.append(f if severity is f.severity else f.model_copy(update={"severity": severity}))
    return out
