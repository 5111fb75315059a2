from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import NAME as CODE
from ..facts.django_code import ProjectCode
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..facts.orm_relations import Prefetch, Relations, covered, prefetches, project_relations
from ..facts.query_properties import NAME as PROPS
from ..facts.query_properties import Query, querying_properties
from ..facts.querysets import MANAGERS, Scope, functions
from ..finding import Category, Confidence, Severity
from ..source import SourceFile
from ..walk import walk

# Methods that run a query there and then; on a related manager, `filter`/`get`/… query even when
# the relation was prefetched (Django builds a new queryset).
_EVALUATE = frozenset({"get", "count", "exists", "first", "last", "aggregate", "earliest", "latest", "in_bulk",
                       "get_or_create", "update_or_create", "contains"})
_REQUERY = frozenset({"filter", "exclude", "get", "order_by", "annotate", "aggregate", "values", "values_list",
                      "latest", "earliest"})
_WRAPPERS = frozenset({"list", "sorted", "tuple"})
_MODELS = ("clinic/models.py", """
from django.db import models

class Ward(models.Model):
    name = models.CharField(max_length=40)

class Patient(models.Model):
    full_name = models.CharField(max_length=120)
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT)

class Admission(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions")
    reason = models.TextField()

class Observation(models.Model):
    admission = models.ForeignKey(Admission, on_delete=models.CASCADE, related_name="observations")
    value = models.DecimalField(max_digits=6, decimal_places=2)
""")
_PROPERTY = """    reason = models.TextField()

    @property
    def last_value(self):
        return self.observations.latest("id").value
"""


class OrmQueryInLoop(Check):
    """## What it does
    Flags a loop or comprehension over a queryset whose body runs a query per row (N+1): it reads a
    foreign key or one-to-one of the row (`adm.patient.full_name`) that no `select_related` loads,
    uses a many-to-many or reverse relation (`adm.observations.all()`) that no `prefetch_related`
    loads, filters a related manager (`adm.observations.filter(...)`, a new query even when
    prefetched), runs `.get()`/`.count()`/`.exists()`/`.first()` on a model's manager, or reads a model
    property that queries (`adm.latest_temperature` doing `self.observations.latest(...)`). Relations
    come from the project's models (`related_name`, `<model>_set`); loops whose rows or prefetching
    cannot be resolved (a queryset passed in, `self.get_queryset()`) are left alone.

    ## Why is this bad?
    A ward list of 40 admissions becomes 41 queries, a discharge report over a year becomes
    thousands: the page is fast in development and times out on the night shift's full ward. Django
    cannot see it happening; only `select_related`/`prefetch_related`, annotations or a single
    grouped query fix it.

    ## Example
    ```python
    def ward_list(request):
        admissions = Admission.objects.filter(discharged_at=None)
        return [f"{adm.patient.full_name}: {adm.reason}" for adm in admissions]
    ```

    Use instead:
    ```python
    def ward_list(request):
        admissions = Admission.objects.filter(discharged_at=None).select_related("patient")
        return [f"{adm.patient.full_name}: {adm.reason}" for adm in admissions]
    ```
    """

    code = "WG701"
    name = "orm-query-in-loop"
    category = Category.QUALITY
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 1073
    summary = "Query per row in a loop over a queryset (N+1): relation not loaded with select/prefetch_related"

    VALID = (
        Valid("""\
            from .models import Admission

            def ward_list(request):
                admissions = Admission.objects.filter(reason='x').select_related('patient')
                for adm in admissions:
                    print(adm.patient.full_name)
            """, path="clinic/views.py", files=(_MODELS,)),
        Valid("""\
            from .models import Admission

            def ward_list():
                qs = Admission.objects.select_related('patient__ward').prefetch_related('observations')
                return [(a.patient.ward.name, [o.value for o in a.observations.all()]) for a in qs]
            """, path="clinic/views.py", files=(_MODELS,)),
        # `patient_id` is a column of the row; `.values()` rows are dicts.
        Valid("""\
            from .models import Admission

            def ids():
                out = [a.patient_id for a in Admission.objects.all()]
                for row in Admission.objects.values('patient__full_name'):
                    out.append(row)
                return out
            """, path="clinic/views.py", files=(_MODELS,)),
        # Assigning a foreign key loads nothing.
        Valid("""\
            from .models import Admission, Patient

            def reassign(p: Patient):
                for a in Admission.objects.filter(reason=''):
                    a.patient = p
                    a.save()
            """, path="clinic/views.py", files=(_MODELS,)),
        # Rows passed in: whoever built the queryset decides the prefetching.
        Valid("""\
            def render(admissions):
                return [a.patient.full_name for a in admissions]
            """, path="clinic/views.py", files=(_MODELS,)),
    )
    INVALID = (
        # A model property that queries, read per row.
        Invalid("""\
            from .models import Admission

            def temperatures():
                return [a.last_value for a in Admission.objects.all()]
            """, line=4, path="clinic/views.py",
            files=((_MODELS[0], _MODELS[1].replace("    reason = models.TextField()\n", _PROPERTY)),)),
        Invalid("""\
            from .models import Admission

            def ward_list(request):
                admissions = Admission.objects.filter(reason='x')
                for adm in admissions:
                    print(adm.patient.full_name)
            """, line=5, path="clinic/views.py", files=(_MODELS,)),
        # `patient` is loaded, `patient.ward` is not.
        Invalid("""\
            from .models import Admission

            def wards():
                return {a.patient.ward.name for a in Admission.objects.select_related('patient')}
            """, line=4, path="clinic/views.py", files=(_MODELS,)),
        # A filter on a prefetched relation is a new query per row.
        Invalid("""\
            from .models import Admission

            def latest():
                qs = Admission.objects.prefetch_related('observations')
                out = []
                for a in qs:
                    out.append(a.observations.filter(value__gt=38).exists())
                return out
            """, line=6, path="clinic/views.py", files=(_MODELS,)),
        Invalid("""\
            from .models import Admission, Observation

            def counts():
                return [
                    Observation.objects.filter(admission=a).count()
                    for a in Admission.objects.all()
                ]
            """, line=4, path="clinic/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return (not (src.looks_like_test or src.looks_like_migration) and " for " in src.text
                and ("objects" in src.text or "_related" in src.text))

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        code: ProjectCode | None = self.ctx.project.fact(CODE)
        if models is None or code is None or not models.django:
            return
        rels = project_relations(models)
        for fn, klass in functions(node):
            cls = f"{self.ctx.imports.module}.{klass.name}" if klass is not None else None
            scope = Scope.of(fn, self.ctx.imports, models, code, cls)
            for loop, row, source in _loops(fn):
                if isinstance(source, ast.Call) and isinstance(source.func, ast.Name) and source.func.id in _WRAPPERS \
                        and source.args:
                    source = source.args[0]
                model = scope.model_of(source) if not _opaque(source, scope.env) else None
                if model is None or model not in rels:
                    continue
                pf = prefetches(source, scope.env)
                if pf.values:
                    continue
                props = querying_properties(self.ctx.project.fact(PROPS), model, models, rels)
                found = self._per_row(loop, row, rels[model], rels, pf, props)
                if found:
                    where = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else None
                    self.report(loop, f"Query per row over `{ast.unparse(source)[:60]}`: "
                                f"{', '.join(found[:3])}{' …' if len(found) > 3 else ''}.", end_node=where,
                                fix="Load the relations with the rows (select_related for foreign keys, "
                                "prefetch_related for reverse and many-to-many relations), or annotate the count.")

    def _per_row(self, loop: ast.AST, row: str, mine: Relations, rels: dict[str, Relations], pf: Prefetch,
                 props: dict[str, Query]) -> list[str]:
        found: list[str] = []
        for n in _body(loop):
            text = None
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute) and _is(n.value.value, row):
                first = n.value.attr  # row.a.b: a loaded, b a further foreign key of a's model
                target = mine.single.get(first)
                if target and covered(pf, first, True) and n.attr in rels[target].single \
                        and not covered(pf, f"{first}__{n.attr}", False):
                    text = f"`{row}.{first}.{n.attr}` (select_related(\"{first}__{n.attr}\"))"
            elif isinstance(n, ast.Attribute) and _is(n.value, row) and isinstance(n.ctx, ast.Load):
                if n.attr in mine.single and not covered(pf, n.attr, True):
                    text = f"`{row}.{n.attr}` (select_related(\"{n.attr}\"))"
                elif n.attr in props:
                    text = f"`{row}.{n.attr}` (a property that runs `{props[n.attr].text}`)"
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                text = self._query_call(n, row, mine, pf)
            if text and text not in found:
                found.append(text)
        return found

    def _query_call(self, call: ast.Call, row: str, mine: Relations, pf: Prefetch) -> str | None:
        meth, base = call.func.attr, call.func.value  # type: ignore[attr-defined]
        if isinstance(base, ast.Attribute) and _is(base.value, row) and base.attr in mine.many:
            if meth in _REQUERY:
                return f"`{row}.{base.attr}.{meth}()` (a new query even when prefetched)"
            if not covered(pf, base.attr, False):
                return f"`{row}.{base.attr}.{meth}()` (prefetch_related(\"{base.attr}\"))"
            return None
        if meth in _EVALUATE:
            root = base
            while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
                root = root.func.value
            if isinstance(root, ast.Attribute) and root.attr in MANAGERS:
                m = self.ctx.project.fact(MODELS).lookup(self.qualname(root.value))
                if m is not None:
                    return f"`{m.name}.{root.attr}….{meth}()`"
        return None


def _loops(fn: ast.AST) -> list[tuple[ast.AST, str, ast.expr]]:
    """(loop node, row variable, what it iterates) for `for` loops and comprehensions."""
    out: list[tuple[ast.AST, str, ast.expr]] = []
    for n in walk(fn):
        if isinstance(n, (ast.For, ast.AsyncFor)) and isinstance(n.target, ast.Name):
            out.append((n, n.target.id, n.iter))
        elif isinstance(n, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            gens = n.generators
            if gens and isinstance(gens[0].target, ast.Name):
                out.append((n, gens[0].target.id, gens[0].iter))
    return out


def _body(loop: ast.AST) -> list[ast.AST]:
    """The nodes run once per row: a loop's body; a comprehension's element, conditions and inner iterables."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        parts: list[ast.AST] = list(loop.body)
    else:
        gens: list[ast.comprehension] = loop.generators  # type: ignore[attr-defined]
        heads = [loop.key, loop.value] if isinstance(loop, ast.DictComp) else [loop.elt]  # type: ignore[attr-defined]
        parts = [*heads, *(c for g in gens for c in g.ifs), *(g.iter for g in gens[1:])]
    return [n for p in parts for n in walk(p)]


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _opaque(expr: ast.AST, env: dict[str, list[ast.expr]], depth: int = 0) -> bool:
    """The rows come from somewhere whose prefetching we cannot see (`self.get_queryset()`, a view's
    `queryset`), or a variable reassigned from such a place."""
    for n in walk(expr):
        if isinstance(n, ast.Attribute) and n.attr in ("get_queryset", "queryset", "filter_queryset"):
            return True
        if isinstance(n, ast.Name) and depth < 4 and any(_opaque(v, env, depth + 1) for v in env.get(n.id, [])):
            return True
    return False
