"""From triggers and findings on changed lines to the roles that must approve."""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from reports.sections import Reason, RoleRequirement, join_whys

from .triggers import Trigger, clip, ranges

if TYPE_CHECKING:
    from checks.finding import Finding

    from .changes import ChangeSet
    from .config import ApprovalRule


@dataclass
class Requirement:
    role: str
    why: str
    triggers: list[Trigger]

    def to_model(self, approved: bool | None) -> RoleRequirement:
        return RoleRequirement(role=self.role, why=self.why, approved=approved, reasons=sorted(
            (Reason(kind=t.kind, why=t.why, path=t.path, lines=ranges(t.lines), location=t.where(), symbol=t.symbol)
             for t in self.triggers), key=Reason.order))


def route(triggers: list[Trigger], findings: Iterable[Finding], changes: ChangeSet,
          rules: list[ApprovalRule]) -> list[Requirement]:
    # The change's edits to the gate itself (wardgate/trust.py) count wherever they point. A finding the base
    # version of the file has too (`at_base`: a reformat moved an old problem onto changed lines) was not
    # caused by the change: it needs no one's approval.
    changed_findings = [f for f in findings if f.suppression is None and f.baseline_state != "unchanged"
                        and (f.properties.get("trust_change") or (
                            not f.properties.get("at_base")
                            and f.path in changes.files and changes.files[f.path].touches(f.start_line, f.end_line)))]
    by_role: dict[str, Requirement] = {}
    for rule in rules:
        hits: list[Trigger] = [t for t in triggers if t.kind in rule.kinds]
        for f in changed_findings:
            if f.category in rule.categories or any(f.rule_id.startswith(p) for p in rule.rule_ids):
                hits.append(Trigger("finding", f.path, list(range(f.start_line, f.end_line + 1)), _why(f),
                                    data={"rule_id": f.rule_id}))
        for pattern in rule.paths:
            for path in sorted([*changes.files, *changes.deleted]):
                if fnmatch.fnmatchcase(path, pattern) or PurePosixPath(path).match(pattern):
                    fc = changes.files.get(path)
                    hits.append(Trigger("path", path, sorted(fc.lines) if fc else [],
                                        f"`{path}` matches `{pattern}`"))
        if not hits:
            continue
        req = by_role.setdefault(rule.role, Requirement(rule.role, rule.why, []))
        req.why = join_whys([*req.why.split("; "), rule.why])
        for t in hits:
            if not any(t.kind == o.kind and t.path == o.path and t.lines == o.lines and t.why == o.why
                       for o in req.triggers):
                req.triggers.append(t)
    return sorted(by_role.values(), key=lambda r: r.role)


def _why(f: Finding) -> str:
    """A change rule's finding says what the change did, in words ("safety limit loosened: max_dose_mg
    400 → 4000, ×10"); another finding on a changed line says what it found there."""
    if f.properties.get("change_rule"):
        from checks.registry import rule_for

        meta = rule_for(f.rule_id)
        name = meta.name.replace("-", " ") if meta is not None else f.rule_id
        return f"{name} ({f.rule_id}): {clip(f.message, 160)}"
    return f"{f.rule_id} ({f.category.value}) on a changed line: {clip(f.message, 100)}"


def parse_roles(value: str | None) -> list[str] | None:
    """`dba, security` -> ["dba", "security"]; None stays None (no enforcement)."""
    if value is None:
        return None
    return sorted({r.strip().lower() for r in re.split(r"[,\s]+", value) if r.strip()})
