"""The gate: which findings count, and the conditions that decide pass / fail / error."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from checks.finding import Category, Finding, Severity
from checks.source import UNANALYSED

from .model import Condition, Gate


def counts_against_gate(f: Finding) -> bool:
    """Suppressed, baselined, outside-the-diff and advisory findings never fail the gate."""
    if f.suppression is not None:
        return False
    if f.baseline_state == "unchanged":
        return False
    if f.in_diff is False:
        return False
    return not f.properties.get("advisory", False)


def evaluate(
    findings: Sequence[Finding],
    *,
    fail_on: Severity,
    max_per_category: dict[Category, int] | None = None,
    max_per_severity: dict[Severity, int] | None = None,
    errors: Sequence[str] = (),
) -> Gate:
    gating = [f for f in findings if counts_against_gate(f)]
    conditions: list[Condition] = []
    blocking = [f for f in gating if f.severity.at_least(fail_on)]
    conditions.append(Condition(
        id="fail-on",
        description=f"No finding of severity {fail_on.value} or higher",
        held=not blocking,
        detail=_count_detail(blocking) if blocking else "none found",
    ))
    by_cat = Counter(f.category for f in gating)
    for cat, limit in sorted((max_per_category or {}).items(), key=lambda kv: kv[0].value):
        n = by_cat.get(cat, 0)
        conditions.append(Condition(id=f"max-category:{cat.value}",
                                    description=f"At most {limit} {cat.value} finding(s)",
                                    held=n <= limit, detail=f"{n} found"))
    by_sev = Counter(f.severity for f in gating)
    for sev, limit in sorted((max_per_severity or {}).items(), key=lambda kv: -kv[0].rank):
        n = by_sev.get(sev, 0)
        conditions.append(Condition(id=f"max-severity:{sev.value}",
                                    description=f"At most {limit} {sev.value}-severity finding(s)",
                                    held=n <= limit, detail=f"{n} found"))
    # A .py file nobody analysed could hold anything: it fails the gate unless trusted config
    # allows it by path (`allow_unanalysed`, marked by the pipeline).
    unanalysed = sorted({f.path for f in gating if f.rule_id in UNANALYSED
                         and not f.properties.get("unanalysed_allowed")})
    conditions.append(Condition(
        id="all-files-analysed",
        description="Every Python file analysed",
        held=not unanalysed,
        detail=(f"not analysed: {', '.join(unanalysed[:5])}" + (f" (+{len(unanalysed) - 5} more)"
                if len(unanalysed) > 5 else "")) if unanalysed else "yes",
    ))
    conditions.append(Condition(
        id="complete",
        description="Every analysis stage ran to completion",
        held=not errors,
        detail="; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "") if errors else "yes",
    ))
    if errors:
        verdict = "error"
    elif all(c.held for c in conditions):
        verdict = "pass"
    else:
        verdict = "fail"
    failed = [c.description for c in conditions if not c.held]
    summary = {
        "pass": f"Gate passed: {len(gating)} finding(s) count against the gate, none at or above {fail_on.value}.",
        "fail": "Gate failed: " + "; ".join(f"not met: {d}" for d in failed) + ".",
        "error": "Gate error: the analysis did not complete, so no verdict can be trusted (exit 3).",
    }[verdict]
    return Gate(verdict=verdict, passed=verdict == "pass", fail_on=fail_on.value, conditions=conditions,
                summary=summary)


def _count_detail(findings: Sequence[Finding]) -> str:
    c = Counter(f.severity for f in findings)
    return ", ".join(f"{c[s]} {s.value}" for s in Severity if c.get(s))
