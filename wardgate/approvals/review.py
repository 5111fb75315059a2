"""Approval routing for the pipeline: the kinds of change detected, the roles routed, the metrics and the test
suggestions of one change (`review_change`). Its own module, loaded only in diff mode when routing runs
(wardgate/approvals/__init__.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.facts.clinical_functions import is_dose_calculation
from checks.finding import Finding
from reports.sections import Approvals, ChangeMetrics, TestSuggestion

from .audit import audit_triggers
from .changes import ChangeSet, parse
from .config import ApprovalsConfig
from .deletion import deletion_triggers
from .metrics import compute
from .migrations import is_migration, migration_triggers
from .named import BILLING, named_functions
from .permissions import permission_triggers
from .routing import route
from .suggestions import suggest
from .triggers import Context, Trigger


def detect(ctx: Context) -> list[Trigger]:
    out: list[Trigger] = []
    for fc in ctx.changes.python():
        new = parse(fc.new_text)
        if new is None:
            continue
        old = parse(fc.old_text)
        if is_migration(fc.path):
            out.extend(migration_triggers(ctx, fc, new, old))
            continue
        out.extend(permission_triggers(ctx, fc, new, old))
        out.extend(audit_triggers(ctx, fc, new, old))
        out.extend(deletion_triggers(ctx, fc, new))
        out.extend(named_functions(fc, new, old, None, "dose", "dose calculation", is_dose_calculation))
        out.extend(named_functions(fc, new, old, BILLING, "billing", "billing logic"))
    for path in ctx.changes.deleted:
        if is_migration(path):
            out.append(Trigger("migration", path, [], f"migration `{path}` deleted"))
    return out


@dataclass(frozen=True)
class ChangeReview:
    """What diff mode adds to the report: who must approve, the changed functions' health, the tests to write."""

    approvals: Approvals
    metrics: ChangeMetrics | None
    suggestions: list[TestSuggestion]


def review_change(changes: ChangeSet, ctx: Context, findings: Sequence[Finding], cfg: ApprovalsConfig,
                  approved_by: list[str] | None) -> ChangeReview:
    """The change's approvals (enforced when `approved_by` is given), metrics and test suggestions."""
    triggers = detect(ctx)
    requirements = route(triggers, findings, changes, cfg.all_rules())
    enforced = approved_by is not None
    approved = set(approved_by or [])
    approvals = Approvals(
        enforced=enforced, approved_by=sorted(approved) if enforced else [],
        required=[r.to_model(r.role in approved if enforced else None) for r in requirements],
        missing=[r.role for r in requirements if r.role not in approved] if enforced else [],
        base=changes.base, unknown_roles=sorted(approved - set(cfg.roles())) if enforced else [])
    return ChangeReview(approvals=approvals, metrics=compute(changes, cfg.metrics) if cfg.metrics.enabled else None,
                        suggestions=suggest(triggers, ctx))
