"""`wardgate merge`: one report from the reports of `wardgate check --shard I/N` runs.

Each shard analysed its own files, but the run-wide parts are the same in every shard: the diff, the
approvals' detected kinds of change, the change metrics, the coverage of the diff, the gate's settings.
The findings are joined, the approvals' requirements joined, and the verdict decided again from the joined
inputs by reports/gate.py: a sharded run ends with the verdict, conditions and exit code of one run.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from checks.finding import Finding

from .gate import decide
from .model import Report
from .sections import Approvals, Reason, RoleRequirement, TestSuggestion, join_whys
from .stats import MergeStats, Stats, ToolStat


def merge(reports: Sequence[Report], version: str) -> Report:
    if not reports:
        raise ValueError("no reports to merge")
    first = reports[0]
    findings = _findings(reports)
    stats = _stats(reports)
    approvals = _approvals([r.approvals for r in reports if r.approvals is not None])
    metrics = next((r.change_metrics for r in reports if r.change_metrics is not None), None)
    coverage = next((r.coverage for r in reports if r.coverage is not None), None)
    suggestions = _unique(s for r in reports for s in r.test_suggestions or [])
    gate = decide(findings, stats.gate_config, errors=stats.errors, approvals=approvals, metrics=metrics,
                  coverage=coverage)
    return Report(version=version, root=first.root, findings=findings, gate=gate, stats=stats, approvals=approvals,
                  change_metrics=metrics, test_suggestions=suggestions if first.test_suggestions is not None else None,
                  coverage=coverage)


def _findings(reports: Sequence[Report]) -> list[Finding]:
    """Every shard's findings; a run-wide one (a config problem) once, an unused config suppression only
    when no shard used it (every shard reported it)."""
    findings: list[Finding] = []
    run_wide: dict[str, tuple[Finding, int]] = {}
    for report in reports:
        for f in report.findings:
            if f.properties.get("run_wide"):
                prev = run_wide.get(f.fingerprint)
                run_wide[f.fingerprint] = (f, (prev[1] if prev else 0) + 1)
            else:
                findings.append(f)
    for f, count in run_wide.values():
        if "config_suppression" in f.properties and count < len(reports):
            continue  # some shard used the entry
        findings.append(f)
    return sorted(findings, key=Finding.sort_key)


def _stats(reports: Sequence[Report]) -> Stats:
    """Counts summed, the run-wide facts (config, diff, LLM, the gate's settings) from the first shard."""
    parts = [r.stats for r in reports]
    first = parts[0]
    shards = sorted({p.shard.total if p.shard is not None else 1 for p in parts})
    n = len(reports)
    warning = (f"{n} report(s) for shard count(s) {shards}: coverage may be incomplete"
               if len(shards) > 1 or max(shards) != n else "")
    return Stats(
        files_analysed=sum(p.files_analysed for p in parts),
        files_not_analysed=sum(p.files_not_analysed for p in parts),
        files_total=max(p.files_total for p in parts), seconds=round(sum(p.seconds for p in parts), 3),
        tools=_tools(parts), llm=first.llm, errors=list(dict.fromkeys(e for p in parts for e in p.errors)),
        config=first.config, config_origin=first.config_origin, diff=first.diff, changes=first.changes,
        gate_config=first.gate_config, merged=MergeStats(reports=n, shards=shards, warning=warning))


def _tools(parts: Sequence[Stats]) -> dict[str, ToolStat]:
    out: dict[str, ToolStat] = {}
    for p in parts:
        for name, t in p.tools.items():
            cur = out.get(name) or ToolStat(name=name, status=t.status, message=t.message,
                                            executable=t.executable, version=t.version)
            failed = {"status": "failed", "message": t.message} if t.status == "failed" else {}
            out[name] = cur.model_copy(update={"seconds": round(cur.seconds + t.seconds, 3),
                                               "files": cur.files + t.files,
                                               "findings": cur.findings + t.findings, **failed})
    return out


def _approvals(parts: Sequence[Approvals]) -> Approvals | None:
    """Every shard detected the same kinds of change (the diff is not sharded) but routed only its own
    findings: the roles are joined, each with every shard's reasons, in the order one run gives them."""
    if not parts:
        return None
    by_role: dict[str, list[RoleRequirement]] = {}
    for a in parts:
        for r in a.required:
            by_role.setdefault(r.role, []).append(r)
    required = [RoleRequirement(role=role, why=join_whys(w for r in reqs for w in r.why.split("; ")),
                                approved=reqs[0].approved,
                                reasons=sorted(_unique(x for r in reqs for x in r.reasons), key=Reason.order))
                for role, reqs in sorted(by_role.items())]
    return parts[0].model_copy(update={"required": required,
                                       "missing": sorted({m for a in parts for m in a.missing})})


_Item = TypeVar("_Item", Reason, TestSuggestion)


def _unique(items: Iterable[_Item]) -> list[_Item]:
    out: list[_Item] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
