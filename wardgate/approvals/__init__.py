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
tests the change should have; review.py's `review_change` does it all for the pipeline (wardgate/pipeline.py),
and reports/gate.py turns the result into gate conditions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import DEFAULT_RULES, ApprovalRule, ApprovalsConfig, ChangeKind, MetricsConfig
from .routing import Requirement, parse_roles, route
from .triggers import Context, Trigger

if TYPE_CHECKING:
    from .changes import ChangeSet, FileChange, load_changes, parse
    from .review import ChangeReview, detect, review_change

__all__ = ["DEFAULT_RULES", "ENV_VAR", "ApprovalRule", "ApprovalsConfig", "ChangeKind", "ChangeReview", "ChangeSet",
           "Context", "FileChange", "MetricsConfig", "Requirement", "Trigger", "detect", "load_changes", "parse",
           "parse_roles", "review_change", "route"]

ENV_VAR = "WARDGATE_APPROVED_BY"

# The detectors, metrics (radon) and reading the change from git load on first use: the configuration is read on
# every run, routing runs only in diff mode and, in a pre-commit run, only with --approved-by.
_LAZY = {"ChangeSet": "changes", "FileChange": "changes", "load_changes": "changes", "parse": "changes",
         "ChangeReview": "review", "detect": "review", "review_change": "review"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
