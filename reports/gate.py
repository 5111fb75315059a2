"""The gate: the one place that decides pass / fail / error.

Its inputs are all in the report: the findings, the gate's settings (`stats.gate_config`), the errors,
and in diff mode the approvals, the change metrics and the changed-line coverage. `wardgate check`
decides once, after every section is known; `wardgate merge` joins shard reports and decides again from
the joined inputs, so that a sharded run ends with the verdict of one run.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from checks.finding import Finding, Severity
from checks.source import UNANALYSED

from .coverage_gate import conditions as coverage_conditions
from .model import Condition, Gate
from .sections import Approvals, ChangeMetrics, Coverage, RoleRequirement
from .stats import GatePolicy


def counts_against_gate(f: Finding) -> bool:
    """Suppressed, baselined, outside-the-diff and advisory findings never fail the gate."""
    if f.suppression is not None:
        return False
    if f.baseline_state == "unchanged":
        return False
    if f.in_diff is False:
        return False
    return not f.properties.get("advisory", False)


def decide(findings: Sequence[Finding], policy: GatePolicy | None = None, *, errors: Sequence[str] = (),
           approvals: Approvals | None = None, metrics: ChangeMetrics | None = None,
           coverage: Coverage | None = None) -> Gate:
    policy = policy or GatePolicy()
    gating = [f for f in findings if counts_against_gate(f)]
    conditions = [*finding_conditions(findings, gating, policy), complete(errors),
                  *approval_conditions(approvals), *metrics_conditions(metrics),
                  *(coverage_conditions(coverage) if coverage is not None else [])]
    if errors:
        verdict = "error"
    elif all(c.held for c in conditions):
        verdict = "pass"
    else:
        verdict = "fail"
    summary = summarize(verdict, conditions)
    below = sum(not f.severity.at_least(policy.fail_on) for f in gating)
    if verdict == "pass" and below:
        summary += f" ({plural(below, 'finding')} below it)"
    return Gate(verdict=verdict, passed=verdict == "pass", fail_on=policy.fail_on.value, conditions=conditions,
                summary=summary)


def finding_conditions(findings: Sequence[Finding], gating: Sequence[Finding], policy: GatePolicy) -> list[Condition]:
    """The severity threshold, the per-category and per-severity limits, and every file analysed."""
    fail_on = policy.fail_on
    where = " on changed lines" if any(f.in_diff is not None for f in findings) else ""
    blocking = [f for f in gating if f.severity.at_least(fail_on)]
    out = [Condition(
        id="fail-on", description=f"No finding of severity {fail_on.value} or higher", held=not blocking,
        detail=(f"{plural(len(blocking), 'finding')} at or above {fail_on.value}{where} "
                f"({_count_detail(blocking)})") if blocking else f"no finding at or above {fail_on.value}{where}")]
    by_cat = Counter(f.category for f in gating)
    for cat, limit in sorted(policy.max_per_category.items(), key=lambda kv: kv[0].value):
        n = by_cat.get(cat, 0)
        out.append(Condition(id=f"max-category:{cat.value}", description=f"At most {limit} {cat.value} finding(s)",
                             held=n <= limit, detail=f"{plural(n, cat.value + ' finding')}, at most {limit} allowed"))
    by_sev = Counter(f.severity for f in gating)
    for sev, limit in sorted(policy.max_per_severity.items(), key=lambda kv: -kv[0].rank):
        n = by_sev.get(sev, 0)
        out.append(Condition(id=f"max-severity:{sev.value}",
                             description=f"At most {limit} {sev.value}-severity finding(s)",
                             held=n <= limit, detail=f"{plural(n, sev.value + ' finding')}, at most {limit} allowed"))
    # A .py file nobody analysed could hold anything: it fails the gate unless trusted config
    # allows it by path (`allow_unanalysed`, marked by the pipeline).
    unanalysed = sorted({f.path for f in gating if f.rule_id in UNANALYSED
                         and not f.properties.get("unanalysed_allowed")})
    out.append(Condition(id="all-files-analysed", description="Every Python file analysed", held=not unanalysed,
                         detail=f"not analysed: {_first(unanalysed, ', ')}" if unanalysed else "yes"))
    return out


def complete(errors: Sequence[str]) -> Condition:
    return Condition(id="complete", description="Every analysis stage ran to completion", held=not errors,
                     detail=_first(errors, "; ") if errors else "yes")


def approval_conditions(approvals: Approvals | None) -> list[Condition]:
    """One condition per required role, once approvals are enforced (`--approved-by`)."""
    if approvals is None or not approvals.enforced:
        return []
    return [_approval(r) for r in approvals.required]


def _approval(r: RoleRequirement) -> Condition:
    where = "; ".join(x.location for x in r.reasons[:4]) + (" …" if len(r.reasons) > 4 else "")
    first = r.reasons[0].why if r.reasons else r.why
    return Condition(id=f"approval:{r.role}", description=f"Approved by {r.role} ({r.why})", held=bool(r.approved),
                     detail=f"approved; triggered by {where}" if r.approved
                     else f"missing approval from {r.role}: {first} at {where}")


def metrics_conditions(metrics: ChangeMetrics | None) -> list[Condition]:
    """The change-metrics thresholds (`[tool.wardgate.approvals.metrics]`) as conditions, stated in words."""
    if metrics is None:
        return []
    th, totals, fns = metrics.thresholds, metrics.totals, metrics.functions
    out: list[Condition] = []
    if th.max_complexity is not None and fns:
        limit = th.max_complexity
        over = [f for f in fns if f.complexity_after > limit]
        out.append(Condition(
            id="metrics:max-complexity", description=f"No changed function ends above complexity {limit}",
            held=not over, detail=", ".join(f"{f.path}:{f.line} {f.function} = {f.complexity_after}"
                                            for f in over[:5]) or "none"))
    if th.min_maintainability is not None and fns:
        floor = th.min_maintainability
        under = [f for f in fns if f.mi_after < floor]
        out.append(Condition(
            id="metrics:min-maintainability", description=f"No changed function ends below maintainability {floor}",
            held=not under, detail=", ".join(f"{f.path}:{f.line} {f.function} = {f.mi_after}"
                                             for f in under[:5]) or "none"))
    for key, label, on, before, after in (
            ("type-hint-coverage", "Type-hint coverage", th.type_hints_must_not_fall,
             totals.type_hint_coverage_before, totals.type_hint_coverage_after),
            ("docstring-coverage", "Docstring coverage", th.docstrings_must_not_fall,
             totals.docstring_coverage_before, totals.docstring_coverage_after)):
        if on and before is not None and after is not None:
            out.append(Condition(id=f"metrics:{key}", description=f"{label} of changed code does not fall",
                                 held=after >= before, detail=f"{before}% before, {after}% after"))
    return out


def summarize(verdict: str, conditions: Sequence[Condition]) -> str:
    """The verdict's reason in plain words, without the verdict itself (the writers put "FAIL — "
    or "PASS — " before it): "2 findings at or above high on changed lines (1 critical, 1 high)"."""
    if verdict == "error":
        errors = next((c.detail for c in conditions if c.id == "complete"), "")
        return f"the analysis did not complete, so no verdict can be trusted: {errors}"
    if verdict == "pass":
        return next((c.detail for c in conditions if c.id == "fail-on"), "every condition held")
    return "; ".join(c.detail if c.id == "fail-on" or c.id.startswith(("max-", "approval:"))
                     else f"not met: {c.description} ({c.detail})" for c in conditions if not c.held)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _first(items: Sequence[str], sep: str, n: int = 5) -> str:
    return sep.join(items[:n]) + (f" (+{len(items) - n} more)" if len(items) > n else "")


def _count_detail(findings: Sequence[Finding]) -> str:
    c = Counter(f.severity for f in findings)
    return ", ".join(f"{c[s]} {s.value}" for s in Severity if c.get(s))
