from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import NAME as CODE
from ..facts.django_code import ProjectCode
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..facts.orm_relations import project_relations
from ..facts.query_properties import NAME as PROPS
from ..facts.query_properties import is_query, queries, querying_properties
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_LIST_VIEWS = ("ListAPIView", "ListCreateAPIView", "ModelViewSet", "ReadOnlyModelViewSet", "ListModelMixin")
_MODELS = ("clinic/models.py", """
from django.db import models

class Patient(models.Model):
    full_name = models.CharField(max_length=120)

    @property
    def open_task_count(self):
        return Task.objects.filter(patient=self, done=False).count()

class Task(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="tasks")
    done = models.BooleanField(default=False)
""")
_VIEWS = ("clinic/api.py", """
from rest_framework import viewsets
from .models import Patient
from .serializers import PatientSerializer

class PatientViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
""")


class QueryPerRowInSerializer(Check):
    """## What it does
    Flags a serializer used for lists (the `serializer_class` of a list endpoint: `ListAPIView`,
    `ModelViewSet`, `ReadOnlyModelViewSet`… that does not pick its serializer in
    `get_serializer_class()`, or instantiated with `many=True` in the same module)
    whose `SerializerMethodField` method runs a query for each object, or whose `Meta.fields` name a
    model property that does. Only queries that prefetching cannot serve count: a manager query
    (`Task.objects.filter(patient=obj)`) or a re-query of a relation (`obj.tasks.filter(...)`).

    ## Why is this bad?
    The list endpoint serializes every row, so one query per row per field: a ward's patient list
    with two such fields is 2N+1 queries, and the mobile app's list screen slows with every admission.
    An annotation on the view's queryset (`Count("tasks", filter=Q(done=False))`) gives the same
    number in the one query.

    ## Example
    ```python
    class PatientSerializer(serializers.ModelSerializer):
        open_tasks = serializers.SerializerMethodField()

        def get_open_tasks(self, obj):
            return Task.objects.filter(patient=obj, done=False).count()
    ```

    Use instead:
    ```python
    # the view: queryset = Patient.objects.annotate(open_tasks=Count("tasks", filter=Q(tasks__done=False)))
    class PatientSerializer(serializers.ModelSerializer):
        open_tasks = serializers.IntegerField(read_only=True)
    ```
    """

    code = "WG702"
    name = "query-per-row-in-serializer"
    category = Category.QUALITY
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 1073
    summary = "Serializer of a list endpoint runs a query per object (SerializerMethodField or property)"

    VALID = (
        # Annotated on the view; the serializer only reads the value.
        Valid("""\
            from rest_framework import serializers
            from .models import Patient

            class PatientSerializer(serializers.ModelSerializer):
                open_tasks = serializers.IntegerField(read_only=True)

                class Meta:
                    model = Patient
                    fields = ['id', 'full_name', 'open_tasks']
            """, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        # A detail-only serializer: one object, one query.
        Valid("""\
            from rest_framework import serializers
            from .models import Patient, Task

            class PatientDetailSerializer(serializers.ModelSerializer):
                open_tasks = serializers.SerializerMethodField()

                class Meta:
                    model = Patient
                    fields = ['id', 'open_tasks']

                def get_open_tasks(self, obj):
                    return Task.objects.filter(patient=obj).count()
            """, path="clinic/serializers.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid("""\
            from rest_framework import serializers
            from .models import Patient, Task

            class PatientSerializer(serializers.ModelSerializer):
                open_tasks = serializers.SerializerMethodField()

                class Meta:
                    model = Patient
                    fields = ['id', 'open_tasks']

                def get_open_tasks(self, obj):
                    return Task.objects.filter(patient=obj, done=False).count()
            """, line=11, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        Invalid("""\
            from rest_framework import serializers
            from .models import Patient

            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = ['id', 'full_name', 'open_task_count']
            """, line=7, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        Invalid("""\
            from rest_framework import serializers
            from .models import Patient

            class PatientSerializer(serializers.ModelSerializer):
                pending = serializers.SerializerMethodField()

                class Meta:
                    model = Patient
                    fields = ['id', 'pending']

                def get_pending(self, patient):
                    return [t.pk for t in patient.tasks.filter(done=False)]

            def ward_list(patients):
                return PatientSerializer(patients, many=True).data
            """, line=11, path="clinic/serializers.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_test or src.looks_like_migration) and "Serializer" in src.text

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        code: ProjectCode | None = self.ctx.project.fact(CODE)
        qual = f"{self.ctx.imports.module}.{node.name}"
        info = code.lookup(qual) if code is not None else None
        if models is None or info is None or not info.meta_model:
            return
        model = models.lookup(info.meta_model)
        if model is None or model.qualname not in models.django:
            return
        used = self._list_use(node, qual, code)  # type: ignore[arg-type]
        if used is None:
            return
        rels = project_relations(models)
        for fn in (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name.startswith("get_")):
            params = [a.arg for a in fn.args.args]
            if len(params) < 2 or not _method_field(node, fn.name):
                continue
            real = [q for q in queries(fn, params[1], self.ctx.imports) if is_query(q, model.qualname, models, rels)]
            if real:
                self.report(fn, f"`{fn.name}` runs `{real[0].text}` for every object; {used}.",
                            fix="Annotate the value on the view's queryset (Count/Subquery) and read it here.")
        props = querying_properties(self.ctx.project.fact(PROPS), model.qualname, models, rels)
        for stmt, name in _meta_fields(node):
            if name in props:
                self.report(stmt, f"`{name}` is a property of {model.name} that runs `{props[name].text}` for "
                            f"every object; {used}.",
                            fix="Annotate the value on the view's queryset and serialize the annotation.")

    def _list_use(self, node: ast.ClassDef, qual: str, code: ProjectCode) -> str | None:
        for c in code.classes.values():
            ser = code.lookup(c.serializer) if c.serializer else None
            # A view with get_serializer_class() may list with another serializer: left alone.
            if ser is not None and ser.qualname == qual and "get_serializer_class" not in c.methods and code.inherits(
                    c.qualname, lambda b: last_part(b) in _LIST_VIEWS):
                return f"`{last_part(c.qualname)}` lists them"
        for n in self.ctx.src.nodes:
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == node.name
                    and any(k.arg == "many" and isinstance(k.value, ast.Constant) and k.value.value is True
                            for k in n.keywords)):
                return f"it serializes lists (`many=True`, line {n.lineno})"
        return None


def _method_field(cls: ast.ClassDef, method: str) -> bool:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and \
                last_part(ast.unparse(stmt.value.func)) == "SerializerMethodField":
            names = [k.value.value for k in stmt.value.keywords if k.arg == "method_name"
                     and isinstance(k.value, ast.Constant)]
            targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            if method in names or any(method == f"get_{t}" for t in targets):
                return True
    return False


def _meta_fields(cls: ast.ClassDef) -> list[tuple[ast.stmt, str]]:
    out: list[tuple[ast.stmt, str]] = []
    for meta in (s for s in cls.body if isinstance(s, ast.ClassDef) and s.name == "Meta"):
        for stmt in meta.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "fields" for t in stmt.targets) \
                    and isinstance(stmt.value, (ast.List, ast.Tuple)):
                out += [(stmt, e.value) for e in stmt.value.elts if isinstance(e, ast.Constant)
                        and isinstance(e.value, str)]
    return out
