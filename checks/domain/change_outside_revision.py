"""WG207: a batch job changes reversion-audited patient records with no revision open."""
from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex, write_role
from ..facts.querysets import functions
from ..facts.raw_sql import NAME as RAW_SQL
from ..facts.write_paths import in_revision, inventory, missing_import
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk
from .unaudited_patient_model import imported_only

_MODELS = ("clinic/models.py", """\
    from django.db import models
    import reversion

    @reversion.register()
    class Referral(models.Model):
        nhs_number = models.CharField(max_length=10)
        reason = models.TextField()
    """)
_VIEWS = ("clinic/admin.py", """\
    from django.contrib import admin
    from reversion.admin import VersionAdmin
    from clinic.models import Referral

    @admin.register(Referral)
    class ReferralAdmin(VersionAdmin):
        fields = ["reason"]
    """)
# Changes to rows that already exist. A `save()` in a command is mostly an import's new row (nothing to lose), and
# which saves change fetched rows is not told apart yet: left out.
_CHANGES = frozenset({"delete", "queryset update", "queryset delete", "bulk_update", "raw SQL UPDATE",
                      "raw SQL DELETE", "raw SQL MERGE", "raw SQL TRUNCATE"})


class ChangeOutsideRevision(Check):
    """## What it does
    In a project that audits patient records with django-reversion, flags a management command, loader or
    scheduled job that changes or deletes existing rows of a reversion-registered patient model (`save()` of a
    fetched row, `delete()`, a queryset `update()`/`delete()`, `bulk_update()`, raw SQL `UPDATE`/`DELETE`) in a
    function that opens no revision (`with reversion.create_revision():` or the decorator). Rows it only creates
    (an import) are not flagged, nor instance `save()` calls (mostly an import's new rows), nor copies of another
    system's records that no user edits (written only by loaders and jobs), nor functions that call the project's
    audit service, nor a command that imports a model its app no longer defines (it cannot load).

    ## Why is this bad?
    reversion records a version only inside a revision: requests get one from `RevisionMiddleware` or a
    `VersionAdmin`, a command gets none. A backfill that rewrites clinicians' notes, or a clean-up that deletes
    patients, leaves no version and no record of who ran it or what the rows said before. HIPAA §164.312(b)
    audit controls.

    ## Example
    ```python
    class Command(BaseCommand):
        def handle(self, **options):
            Referral.objects.filter(reason="").update(reason="unknown")
    ```

    Use instead:
    ```python
    class Command(BaseCommand):
        def handle(self, **options):
            with reversion.create_revision():
                reversion.set_comment("backfill empty referral reasons")
                for referral in Referral.objects.filter(reason=""):
                    referral.reason = "unknown"
                    referral.save()  # saved one by one inside the revision: each row gets a version
    ```
    """

    code = "WG207"
    name = "change-outside-revision"
    category = Category.AUDIT_TRAIL
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Batch job changes reversion-audited patient records with no revision open"
    hipaa = "§164.312(b) audit controls"

    VALID = (
        # Inside a revision: the change is versioned.
        Valid("""\
            import reversion
            from django.core.management.base import BaseCommand
            from clinic.models import Referral

            class Command(BaseCommand):
                def handle(self, **options):
                    with reversion.create_revision():
                        Referral.objects.filter(reason="").update(reason="unknown")
            """, path="clinic/management/commands/backfill.py", files=(_MODELS, _VIEWS)),
        # An import only creates rows: nothing existing goes unversioned.
        Valid("""\
            from django.core.management.base import BaseCommand
            from clinic.models import Referral

            class Command(BaseCommand):
                def handle(self, **options):
                    Referral.objects.create(nhs_number="9434765919", reason="imported")
            """, path="clinic/management/commands/load.py", files=(_MODELS, _VIEWS)),
        # The command imports a model its app no longer defines: it cannot even load.
        Valid("""\
            from django.core.management.base import BaseCommand
            from clinic.models import Referral, ActionLog

            class Command(BaseCommand):
                def handle(self, **options):
                    Referral.objects.all().delete()
                    ActionLog.objects.all().delete()
            """, path="clinic/management/commands/flush.py", files=(_MODELS, _VIEWS)),
    )
    INVALID = (
        Invalid("""\
            from django.core.management.base import BaseCommand
            from clinic.models import Referral

            class Command(BaseCommand):
                def handle(self, **options):
                    Referral.objects.filter(reason="").update(reason="unknown")
            """, line=6, path="clinic/management/commands/backfill.py", files=(_MODELS, _VIEWS)),
        Invalid("""\
            from django.core.management.base import BaseCommand
            from clinic.models import Referral

            class Command(BaseCommand):
                def handle(self, **options):
                    Referral.objects.filter(reason="").delete()
            """, line=6, path="clinic/management/commands/purge.py", files=(_MODELS, _VIEWS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return write_role(src) == "batch"

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None or missing_import(node, code, models):
            return  # (a command importing a class its app no longer defines cannot even load)
        writes = inventory(self.ctx.src, models, code, self.ctx.project.fact(RAW_SQL), self.ctx.vocab, self.ctx.project)
        calls = {n.lineno: n for n in self.ctx.src.nodes if isinstance(n, ast.Call)}
        # reversion never versions a delete, but one inside a revision is at least part of a recorded change set
        revisions = {n.lineno for fn, _ in functions(node) if in_revision(fn, self.ctx.imports)
                     for n in walk(fn) if isinstance(n, ast.Call)}
        for w in writes:
            mechanism = models.audited.get(w.model) or ""
            if w.kind not in _CHANGES or w.seen is None or not mechanism.startswith("reversion") \
                    or w.line in revisions or w.why.startswith(("the function calls", "the request is recorded")):
                continue
            if imported_only(w.model, models, code):
                continue
            call = calls.get(w.line)
            if call is None:
                continue
            name = last_part(w.model)
            self.report(call, f"{name} rows changed ({w.kind}) in {last_part(w.function or '?')}() with no revision "
                        f"open: reversion records {name} only inside a revision, so this change leaves no version "
                        "and no record of who made it.",
                        fix="Wrap the change in `with reversion.create_revision():` (and `reversion.set_comment(...)`), "
                        "so each changed row gets a version.")
