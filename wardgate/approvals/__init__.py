"""Approval routing: which roles must sign off a change, and why, from what the change does.

CODEOWNERS routes by path; wardgate routes by the code. In diff mode (`--diff BASE`, `--staged`) the
changed files are read at both refs with the stdlib `ast` and each rule of `[tool.wardgate.approvals]`
maps a role to conditions over the change:

- kinds of change recognised from the code (`ChangeKind` in config.py), one module per detector
  (migrations, permissions, audit, deletion, named): a new or altered migration, and
  whether it drops/alters/renames columns or deletes models of patient (or audited) tables; edits to
  permission classes, decorators, mixins or `DEFAULT_PERMISSION_CLASSES`; code that deletes patient
  records; edits to audit registration or history models; changes to dose calculations or billing;
- categories or rule-id prefixes of findings on changed lines;
- path globs of changed files.

Every requirement points at the lines that triggered it. `--approved-by ROLE,...` (or the
`WARDGATE_APPROVED_BY` variable) turns the requirements into gate conditions; without it they are
informational. Outside diff mode nothing is reported.

changes.py reads the change from git, triggers.py defines what a detector reports, routing.py maps
triggers and findings to roles, metrics.py measures the changed functions and suggestions.py names the
tests the change should have; `review_change` below does it all for the pipeline (wardgate/pipeline.py),
and reports/gate.py turns the result into gate conditions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.facts.clinical_functions import is_dose_calculation
from checks.finding import Finding
from reports.sections import Approvals, ChangeMetrics, TestSuggestion

from .audit import audit_triggers
from .changes import ChangeSet, FileChange, load_changes, parse
from .config import DEFAULT_RULES, ApprovalRule, ApprovalsConfig, ChangeKind, MetricsConfig
from .deletion import deletion_triggers
from .metrics import compute
from .migrations import is_migration, migration_triggers
from .named import BILLING, named_functions
from .permissions import permission_triggers
from .routing import Requirement, parse_roles, route
from .suggestions import suggest
from .triggers import Context, Trigger

__all__ = ["DEFAULT_RULES", "ENV_VAR", "ApprovalRule", "ApprovalsConfig", "ChangeKind", "ChangeReview", "ChangeSet",
           "Context", "FileChange", "MetricsConfig", "Requirement", "Trigger", "detect", "load_changes", "parse",
           "parse_roles", "review_change", "route"]

ENV_VAR = "WARDGATE_APPROVED_BY"


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
