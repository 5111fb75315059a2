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
    where = " on changed lines" if any(f.in_diff is not None for f in findings) else ""
    conditions: list[Condition] = []
    blocking = [f for f in gating if f.severity.at_least(fail_on)]
    conditions.append(Condition(
        id="fail-on",
        description=f"No finding of severity {fail_on.value} or higher",
        held=not blocking,
        detail=(f"{plural(len(blocking), 'finding')} at or above {fail_on.value}{where} "
                f"({_count_detail(blocking)})") if blocking
        else f"no finding at or above {fail_on.value}{where}",
    ))
    by_cat = Counter(f.category for f in gating)
    for cat, limit in sorted((max_per_category or {}).items(), key=lambda kv: kv[0].value):
        n = by_cat.get(cat, 0)
        conditions.append(Condition(id=f"max-category:{cat.value}",
                                    description=f"At most {limit} {cat.value} finding(s)",
                                    held=n <= limit, detail=f"{plural(n, cat.value + ' finding')}, "
                                                            f"at most {limit} allowed"))
    by_sev = Counter(f.severity for f in gating)
    for sev, limit in sorted((max_per_severity or {}).items(), key=lambda kv: -kv[0].rank):
        n = by_sev.get(sev, 0)
        conditions.append(Condition(id=f"max-severity:{sev.value}",
                                    description=f"At most {limit} {sev.value}-severity finding(s)",
                                    held=n <= limit, detail=f"{plural(n, sev.value + ' finding')}, "
                                                            f"at most {limit} allowed"))
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
    below = len(gating) - len(blocking)
    summary = summarize(verdict, conditions) + (f" ({plural(below, 'finding')} below it)"
                                                if verdict == "pass" and below else "")
    return Gate(verdict=verdict, passed=verdict == "pass", fail_on=fail_on.value, conditions=conditions,
                summary=summary)


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
