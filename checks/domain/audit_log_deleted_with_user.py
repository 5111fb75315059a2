from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.patient_data import USER_BASES, is_audit_log
from ..finding import Category, Confidence, Severity
from ..names import last_part

_USER_NAMES = frozenset({"User", "AUTH_USER_MODEL", "get_user_model"})


class AuditLogDeletedWithUser(Check):
    """## What it does
    Flags the foreign key from an audit-log model to the user model (who acted, who read) when it says
    `on_delete=models.CASCADE`. An audit-log model is one the project's audit services or a model's own
    change-recording methods write (`Claim.update_status()` adding `ClaimLogEntry(user=...)` rows), a log that points
    at any row, or a model named as one (`AuditLog`, `DatasetAccessHistory`, `...LogEntry`).

    ## Why is this bad?
    Deleting the account of a member of staff who left, or of one under investigation, silently deletes every
    entry saying what they changed or which patients' records they opened: the trail disappears exactly when it is
    needed. HIPAA §164.312(b) audit controls; §164.316(b)(2)(i) retention of documentation.

    ## Example
    ```python
    class DatasetAccessHistory(models.Model):
        dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT)
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        accessed = models.DateTimeField(auto_now_add=True)
    ```

    Use instead:
    ```python
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
        # or SET_NULL, keeping who it was in a copied field (user_email = models.EmailField())
    ```
    """

    code = "WG207"
    name = "audit-log-deleted-with-user"
    category = Category.AUDIT_TRAIL
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 778
    summary = "Audit-log rows are deleted with the user account they name (on_delete=CASCADE)"
    hipaa = "§164.312(b) audit controls; §164.316(b)(2)(i) retention of documentation"

    VALID = (
        # The actor is protected; the entries go with the record they describe (its own history), not with the user.
        Valid("""\
            from django.conf import settings
            from django.db import models

            class Dataset(models.Model):
                title = models.CharField(max_length=100)

            class DatasetAccessHistory(models.Model):
                dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE)
                user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
            """, path="datasets/models.py"),
        # Not logs: a user's own saved searches go with the account, and so does a data-quality audit team's
        # membership.
        Valid("""\
            from django.conf import settings
            from django.db import models

            class SavedSearch(models.Model):
                owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
                query = models.TextField()

            class AuditTeam(models.Model):
                created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
                facility = models.CharField(max_length=100)
            """, path="search/models.py"),
    )
    INVALID = (
        Invalid("""\
            from django.conf import settings
            from django.db import models

            class DatasetAccessHistory(models.Model):
                user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
                accessed = models.DateTimeField(auto_now_add=True)
            """, line=5, path="datasets/models.py"),
        # The rows a claim's own status changes write, naming their user (the claim's versions).
        Invalid("""\
            from django.db import models

            class User(models.Model):
                email = models.EmailField()

            class Claim(models.Model):
                nir = models.CharField(max_length=15)
                status = models.IntegerField()

                def update_status(self, user, status):
                    self.status = status
                    self.save()
                    self.logentries.create(user=user, status=status)

            class ClaimRecord(models.Model):
                claim = models.ForeignKey(Claim, related_name="logentries", on_delete=models.CASCADE)
                user = models.ForeignKey(User, null=True, on_delete=models.CASCADE)
                status = models.IntegerField()
            """, line=17, path="claims/models.py"),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None or self.ctx.src.looks_like_test or self.ctx.src.looks_like_migration:
            return
        q = f"{self.ctx.imports.module}.{node.name}"
        info = models.models.get(q)
        if info is None or q not in models.django or not is_audit_log(q, models):
            return
        for f in info.fields.values():
            if f.cascade and f.kind in ("ForeignKey", "OneToOneField") and _is_user_model(f.target, models):
                field_node = next((st for st in node.body if isinstance(st, (ast.Assign, ast.AnnAssign))
                                   and st.lineno == f.line), node)
                self.report(field_node, f"{node.name}.{f.name} deletes the {node.name} rows of a user when the "
                            "account is deleted (on_delete=CASCADE): the audit trail of what that user did goes "
                            "with it.",
                            fix="Use on_delete=models.PROTECT (deactivate accounts instead of deleting them), or "
                            "SET_NULL with the user's name or e-mail copied onto the entry.")


def _is_user_model(target: str | None, models: ModelIndex) -> bool:
    if not target:
        return False
    if last_part(target) in _USER_NAMES:
        return True
    found = models.lookup(target)
    return found is not None and any(last_part(b) in USER_BASES for b in found.bases)
