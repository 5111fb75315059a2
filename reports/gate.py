"""The gate: which findings count, and the conditions that decide pass / fail / error."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from checks.finding import Category, Finding, Severity

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


def add_conditions(gate: Gate, extra: Sequence[Condition]) -> Gate:
    """The gate with more conditions (changed-line coverage…): a failed one fails it, an error stays an error."""
    if not extra:
        return gate
    conditions = [*gate.conditions, *extra]
    verdict = gate.verdict if gate.verdict == "error" else ("pass" if all(c.held for c in conditions) else "fail")
    summary = gate.summary
    if verdict == "fail":
        summary = "Gate failed: " + "; ".join(
            f"not met: {c.description}" + (f": {c.detail}" if c in extra else "") for c in conditions
            if not c.held) + "."
    return gate.model_copy(update={"verdict": verdict, "passed": verdict == "pass", "conditions": conditions,
                                   "summary": summary})
