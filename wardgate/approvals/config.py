"""`[tool.wardgate.approvals]`: which roles sign off which kinds of change, and the change-metrics
thresholds."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from checks.finding import Category
from checks.pathmatch import PathPattern

ChangeKind = Literal[
    "migration",  # a new or altered migration
    "migration-drops-column",  # RemoveField/AlterField/RenameField/DeleteModel/RunSQL DROP|ALTER, any table
    "migration-patient-column",  # ... of a patient-data model's table
    "migration-audited-column",  # ... of an audited model's table
    "permission",  # permission classes/decorators/mixins, DEFAULT_PERMISSION_CLASSES
    "patient-delete",  # .delete() / DELETE FROM on patient records
    "audit",  # audit registration, history models, audit settings
    "dose",  # dose calculations
    "billing",  # billing, invoicing, payments
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApprovalRule(_Strict):
    """`[[tool.wardgate.approvals.rules]]`: a role and what makes it required (any condition suffices)."""

    role: str = Field(min_length=1)
    why: str = ""
    kinds: list[ChangeKind] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    rule_ids: list[str] = Field(default_factory=list, description="Rule-id prefixes of findings on changed lines")
    paths: list[PathPattern] = Field(default_factory=list, description="Path patterns of changed files")


class MetricsConfig(_Strict):
    """Thresholds for the changed functions (`[tool.wardgate.approvals.metrics]`); None switches one off."""

    enabled: bool = True
    max_complexity: int | None = Field(default=15, ge=1, description="No changed function may end above this")
    min_maintainability: float | None = Field(default=None, ge=0, le=100)
    type_hints_must_not_fall: bool = True
    docstrings_must_not_fall: bool = False


class ApprovalsConfig(_Strict):
    enabled: bool = True
    defaults: bool = Field(default=True, description="Include the built-in rules for the six roles")
    rules: list[ApprovalRule] = Field(default_factory=list)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    def all_rules(self) -> list[ApprovalRule]:
        return [*(DEFAULT_RULES if self.defaults else ()), *self.rules]

    def roles(self) -> list[str]:
        return sorted({r.role for r in self.all_rules()})


DEFAULT_RULES: tuple[ApprovalRule, ...] = (
    ApprovalRule(role="dba", why="database schema change",
                 kinds=["migration", "migration-drops-column", "migration-patient-column"]),
    ApprovalRule(role="security", why="authorization change", kinds=["permission"],
                 categories=[Category.PERMISSION, Category.SECRET]),
    # The change's edits to the gate's own configuration and suppressions (wardgate/trust.py).
    ApprovalRule(role="security", why="change to the gate's configuration or suppressions",
                 rule_ids=["WG012", "WG013"]),
    ApprovalRule(role="medical-director", why="patient data deletion or dosing logic (medical director / pharmacy)",
                 kinds=["patient-delete", "dose"], categories=[Category.DOSAGE]),
    ApprovalRule(role="compliance", why="audit trail or patient-data exposure",
                 kinds=["audit", "migration-audited-column"], categories=[Category.AUDIT_TRAIL, Category.PHI]),
    ApprovalRule(role="finance", why="billing logic change", kinds=["billing"],
                 paths=["**/billing/**", "billing/**", "**/invoic*/**", "**/payments/**"]),
    ApprovalRule(role="owning-team", why="breaking change for code or clients the change did not touch",
                 rule_ids=["WG806"]),
)
