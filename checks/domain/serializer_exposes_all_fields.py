from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import NAME as CODE
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part

_MODELS = ("app/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=10)
        ssn = models.CharField(max_length=11)

    class LabResult(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Drug(models.Model):
        name = models.CharField(max_length=50)
    """)


_VIEW = ("app/views.py", """\
    from rest_framework import generics
    from .serializers import LabSerializer

    class LabList(generics.ListAPIView):
        serializer_class = LabSerializer
    """)


class SerializerExposesAllFields(Check):
    """## What it does
    Flags a DRF `ModelSerializer` (or `HyperlinkedModelSerializer`, or a project subclass) of a
    patient-data model whose `Meta.fields = "__all__"`. Serializers of catalogue models (drugs,
    wards) and explicit field lists pass, and so does a serializer no project code uses (defined in a generated
    module that no view, serializer or task names): nothing is serialized with it.

    ## Why is this bad?
    `"__all__"` exposes every column today and every column added tomorrow — the SSN someone
    adds next quarter is in the API the moment the migration runs, to every client of the
    endpoint. HIPAA §164.502(b) minimum necessary; §164.312(a)(1) access control.

    ## Example
    ```python
    class LabResultSerializer(serializers.ModelSerializer):
        class Meta:
            model = LabResult
            fields = "__all__"
    ```

    Use instead:
    ```python
    class LabResultSerializer(serializers.ModelSerializer):
        class Meta:
            model = LabResult
            fields = ["id", "patient", "loinc_code", "value", "unit", "flag"]
    ```
    """

    code = "WG504"
    name = "serializer-exposes-all-fields"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 200
    summary = "ModelSerializer of a patient-data model with fields = '__all__'"
    hipaa = "§164.502(b) minimum necessary; §164.312(a)(1) access control"

    VALID = (
        Valid("""\
            from rest_framework import serializers
            from .models import Drug

            class DrugSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Drug
                    fields = '__all__'
            """, path="app/serializers.py", files=(_MODELS,)),
        Valid("""\
            from rest_framework import serializers
            from .models import Patient

            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = ['id', 'mrn']
            """, path="app/serializers.py", files=(_MODELS,)),
        # Defined and used by nothing (a generated module no view imports): nothing is serialized with it.
        Valid("""\
            from rest_framework.serializers import ModelSerializer as MS
            from . import models as m

            class LabSerializer(MS):
                class Meta:
                    model = m.LabResult
                    fields = '__all__'
            """, path="app/serializers.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid("""\
            from rest_framework.serializers import ModelSerializer as MS
            from . import models as m

            class LabSerializer(MS):
                class Meta:
                    model = m.LabResult
                    fields = '__all__'
            """, line=4, path="app/serializers.py", files=(_MODELS, _VIEW)),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not any(last_part(self.qualname(b)).endswith("ModelSerializer") for b in node.bases):
            return
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        meta = next((s for s in node.body if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)
        if meta is None or models is None:
            return
        values = {t.id: s.value for s in meta.body if isinstance(s, ast.Assign) for t in s.targets
                  if isinstance(t, ast.Name)}
        fields, model = values.get("fields"), values.get("model")
        if not (isinstance(fields, ast.Constant) and fields.value == "__all__") or model is None:
            return
        code = self.ctx.project.fact(CODE)
        if code is not None and node.name not in code.form_uses:
            return  # defined and never used (a generated module): it exposes nothing
        if models.is_patient_model(self.qualname(model)):
            self.report(node, f"`{node.name}` serializes every field of patient-data model "
                        f"{last_part(self.qualname(model))} (fields = '__all__').",
                        fix="List the fields this endpoint needs (fields = [...]); leave identifiers such as "
                        "SSN out unless the client truly needs them.")
