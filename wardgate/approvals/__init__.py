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
triggers and findings to roles, and `attach` below adds it all to the run's report.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.facts.clinical_functions import is_dose_calculation

from .audit import audit_triggers
from .changes import ChangeSet, FileChange, load_changes, parse
from .config import DEFAULT_RULES, ApprovalRule, ApprovalsConfig, ChangeKind, MetricsConfig
from .deletion import deletion_triggers
from .migrations import is_migration, migration_triggers
from .named import BILLING, named_functions
from .permissions import permission_triggers
from .routing import Requirement, parse_roles, route
from .triggers import Context, Trigger

if TYPE_CHECKING:
    from reports.model import Report

    from ..pipeline import RunResult

__all__ = ["DEFAULT_RULES", "ENV_VAR", "ApprovalRule", "ApprovalsConfig", "ChangeKind", "ChangeSet", "Context",
           "FileChange", "MetricsConfig", "Requirement", "Trigger", "attach", "detect", "load_changes", "parse",
           "parse_roles", "route"]

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


def attach(result: RunResult, config: Any, *, diff: str | None, staged: bool,
           approved_by: list[str] | None) -> Report:
    """The run's report with approvals, change metrics and test suggestions (diff mode only)."""
    report = result.report
    acfg: ApprovalsConfig = getattr(config, "approvals", None) or ApprovalsConfig()
    if isinstance(acfg, dict):  # a config from before the model existed
        acfg = ApprovalsConfig.model_validate(acfg)
    if not acfg.enabled or (diff is None and not staged):
        return report
    if staged and approved_by is None:
        # A commit has no approvers: routing and metrics are pull-request gates (`--diff` in CI).
        # Skipping them keeps the pre-commit hook under a second; `--approved-by` turns them on.
        return report
    from .. import change_metrics, test_suggestions

    changes = load_changes(result.root, diff, staged=staged)
    project = result.engine.project
    base = getattr(result, "changes", None)  # the base's project model, built by the change rules
    ctx = Context(changes=changes, models=project.fact("django_models"), code=project.fact("django_code"),
                  vocab=getattr(config, "domain", None),
                  base_models=base.models("base") if base is not None else None,
                  base_code=base.code("base") if base is not None else None)
    triggers = detect(ctx)
    requirements = route(triggers, report.findings, changes, acfg.all_rules())
    enforced = approved_by is not None
    approved = set(approved_by or [])
    required = [r.role for r in requirements]
    missing = [r for r in required if r not in approved] if enforced else []
    unknown = sorted(approved - set(acfg.roles())) if enforced else []
    approvals: dict[str, Any] = {
        "enforced": enforced,
        "approved_by": sorted(approved) if enforced else [],
        "required": [r.to_dict(r.role in approved if enforced else None) for r in requirements],
        "missing": missing,
        "base": changes.base,
        **({"unknown_roles": unknown} if unknown else {}),
    }
    metrics = change_metrics.compute(changes, acfg.metrics) if acfg.metrics.enabled else None
    suggestions = test_suggestions.suggest(triggers, ctx)
    conditions = []
    if enforced:
        from reports.model import Condition

        for r in requirements:
            where = "; ".join(t.where() for t in r.triggers[:4]) + (" …" if len(r.triggers) > 4 else "")
            conditions.append(Condition(
                id=f"approval:{r.role}", description=f"Approved by {r.role} ({r.why})", held=r.role in approved,
                detail=(f"approved; triggered by {where}" if r.role in approved
                        else f"missing approval from {r.role}: {r.triggers[0].why} at {where}")))
    if metrics is not None:
        conditions.extend(change_metrics.conditions(metrics))
    update: dict[str, Any] = {"gate": _with_conditions(report.gate, conditions)}
    extra = {"approvals": approvals, "change_metrics": metrics, "test_suggestions": [s.to_dict() for s in suggestions]}
    if "approvals" in type(report).model_fields:
        update.update(extra)
    else:
        update["stats"] = {**report.stats, **extra}
    return report.model_copy(update=update)


def _with_conditions(gate: Any, extra: list[Any]) -> Any:
    if not extra:
        return gate
    conditions = [*gate.conditions, *extra]
    verdict = gate.verdict
    if verdict != "error":
        verdict = "pass" if all(c.held for c in conditions) else "fail"
    from reports.gate import summarize

    summary = summarize(verdict, conditions) if verdict == "fail" else gate.summary
    return gate.model_copy(update={"verdict": verdict, "passed": verdict == "pass", "conditions": conditions,
                                   "summary": summary})
