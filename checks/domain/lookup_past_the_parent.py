from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..flows.local import rows_of
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_LOOKUPS = frozenset({"get", "filter", "get_object_or_404"})
# A project's own access check by its name (`check_access(record, document)`, `ensure_same_record(...)`).
_CHECK_WORDS = re.compile(r"check|verify|ensure|assert|authori[sz]|permi|allowed|can_|has_|access|belongs")
_KEYS = frozenset({"id", "pk", "id__exact", "pk__exact", "id__in", "pk__in"})

_MODELS = ("records/models.py", """\
    from django.db import models

    class Record(models.Model):
        full_name = models.CharField(max_length=60)
        date_of_birth = models.DateField()

    class Document(models.Model):
        record = models.ForeignKey(Record, on_delete=models.CASCADE)
        content = models.TextField()
    """)
_VIEW = """\
    from django.http import HttpResponse
    from records.models import Document

    def document_label(request, record, document_id):
        document = Document.objects.get(id=document_id)
        return HttpResponse(document.content)
    """


class LookupPastTheParent(Check):
    """## What it does
    Flags a function view that is handed the parent object it may act on (`def view(request, record, document_id)`:
    a parameter named as one of the project's models, which a middleware or decorator resolved and checked before
    the view runs) and then fetches a row of a model that belongs to that parent (`Document.record`) by the row's id
    alone (`Document.objects.get(id=document_id)`): the lookup does not filter on the parent, and the view does not
    compare the row's parent with it afterwards. Reported when the row or the parent holds patient data.

    ## Why is this bad?
    The access check covered the record in the URL; the document id beside it is not checked against it. A caller
    allowed on their own record puts another record's document id in the URL and reads or changes it: an insecure
    direct object reference the code's shape hides. HIPAA §164.312(a)(1) access control; §164.308(a)(4) information
    access management.

    ## Example
    ```python
    def document_label(request, record, document_id):
        document = Document.objects.get(id=document_id)
    ```

    Use instead: `Document.objects.get(id=document_id, record=record)`.
    """

    code = "WG329"
    name = "lookup-past-the-parent"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "View handed a checked parent fetches its child row by id alone"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        Valid(_VIEW.replace("get(id=document_id)", "get(id=document_id, record=record)"), path="records/views.py",
              files=(_MODELS,)),
        Valid(_VIEW.replace("        return HttpResponse", "        if document.record != record:\n"
                            "            raise PermissionError\n        return HttpResponse"),
              path="records/views.py", files=(_MODELS,)),
        # Through the parent's own relation: only its rows.
        Valid(_VIEW.replace("Document.objects.get(id=document_id)", "record.document_set.get(id=document_id)"),
              path="records/views.py", files=(_MODELS,)),
        # An id, not an object: nothing was resolved or checked for it (WG312 judges such views).
        Valid(_VIEW.replace("request, record, document_id", "request, record_id, document_id"),
              path="records/views.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid(_VIEW, line=5, path="records/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        if not params or params[0] not in ("request", "req"):
            return
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None:
            return
        parents = {p: m for p in params[1:] if (m := _model_named(models, p)) is not None}
        if not parents:
            return
        ids = set(params[1:]) - set(parents)
        for call in (n for n in walk(node) if isinstance(n, ast.Call)):
            found = self._past_parent(call, parents, ids, models)
            if found is None or _compared_later(node, call, found[0], found[1]):
                continue
            parent, field, model = found
            self.report(call, f"{last_part(model)} is fetched by `{_key_text(call)}` alone, though this view is "
                        f"handed the {parent} it may act on and every {last_part(model)} belongs to one "
                        f"({last_part(model)}.{field}): another {parent}'s row answers to its id.",
                        fix=f"Filter on the parent: add `{field}={parent}` to the lookup, or fetch through "
                        f"`{parent}`'s relation.")

    visit_AsyncFunctionDef = visit_FunctionDef

    def _past_parent(self, call: ast.Call, parents: dict[str, str], ids: set[str],
                     models: ModelIndex) -> tuple[str, str, str] | None:
        """(parent parameter, the row's field to it, the row's model) for a lookup by a parameter id alone."""
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name not in _LOOKUPS:
            return None
        ref = rows_of(call, self.ctx.imports)
        model = models.lookup(ref)
        if model is None or model.qualname not in models.django:
            return None
        by_id = [k for k in call.keywords if k.arg in _KEYS and isinstance(k.value, ast.Name) and k.value.id in ids]
        if not by_id or len(call.keywords) != len(by_id) or len(call.args) > (name == "get_object_or_404"):
            return None  # other filters may scope it: not judged here
        for parent, parent_model in parents.items():
            if parent_model == model.qualname:
                continue
            field = _relation_to(models, model.qualname, parent_model)
            if field and (model.qualname in models.patient or parent_model in models.patient):
                return parent, field, model.qualname
        return None


def _model_named(models: ModelIndex, name: str) -> str | None:
    """The one project model a parameter names (`record` -> Record, `lab_result` -> LabResult)."""
    hits = [q for q in models.named(name) if q in models.django]
    return hits[0] if len(hits) == 1 else None


def _relation_to(models: ModelIndex, model: str, parent: str) -> str | None:
    """The field of `model` (or a project base of it) that is a foreign key or one-to-one to `parent`."""
    for m in models.with_bases(model):
        for f in m.fields.values():
            if f.kind in ("ForeignKey", "OneToOneField") and f.target:
                target = models.lookup(f.target)
                if target is not None and target.qualname == parent:
                    return f.name
    return None


def _key_text(call: ast.Call) -> str:
    return ", ".join(f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords)


def _compared_later(fn: ast.AST, call: ast.Call, parent: str, field: str) -> bool:
    """The view compares a fetched row's parent with the one it was handed (`document.record != record`), or hands
    both to a check (`check(record, document)`)."""
    for n in walk(fn):
        if isinstance(n, ast.Compare):
            text = ast.unparse(n)
            if parent in {x.id for x in walk(n) if isinstance(x, ast.Name)} and (
                    f".{field}" in text or f".{field}_id" in text):
                return True
        if isinstance(n, ast.Call) and n is not call and getattr(n, "lineno", 0) > call.lineno \
                and _CHECK_WORDS.search(last_part(ast.unparse(n.func)).lower()):
            args = {a.id for a in (*n.args, *(k.value for k in n.keywords)) if isinstance(a, ast.Name)}
            if parent in args and len(args) >= 2:
                return True
    return False
