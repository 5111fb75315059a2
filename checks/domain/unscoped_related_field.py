from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode, model_ref
from ..facts.django_models import ModelIndex
from ..facts.guards import mentions_user
from ..facts.object_scope import analyse
from ..facts.user_scope import is_account, user_scoped_models
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

# Serializer methods handed the payload as their last parameter (`validate(attrs)`, `create(validated_data)`,
# `update(instance, validated_data)`; `validate_<field>(value)` too).
_PAYLOAD_METHODS = frozenset({"validate", "create", "update", "to_internal_value"})
# DRF fields that turn a client-sent key into a row of their `queryset`.
_RELATED_FIELDS = frozenset({"PrimaryKeyRelatedField", "SlugRelatedField", "HyperlinkedRelatedField"})

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Consultation(models.Model):
        owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        notes = models.TextField()

    class Reminder(models.Model):
        consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE)
        text = models.TextField()
    """)
_VIEWS = ("clinic/views.py", """\
    from rest_framework import viewsets
    from rest_framework.permissions import IsAuthenticated
    from clinic.models import Consultation

    class ConsultationViewSet(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated]
        queryset = Consultation.objects.all()

        def get_queryset(self):
            return Consultation.objects.filter(owner=self.request.user)
    """)

_BY_HAND = """\
            from rest_framework import serializers
            from clinic.models import Consultation, Reminder

            class ReminderSerializer(serializers.Serializer):
                consultation_id = serializers.IntegerField()
                text = serializers.CharField()

                def create(self, validated_data):
                    consultation = Consultation.objects.get(id=validated_data.pop("consultation_id"))
                    return Reminder.objects.create(consultation=consultation, **validated_data)
            """


class UnscopedRelatedField(Check):
    """## What it does
    Flags a writable DRF related field (`PrimaryKeyRelatedField`, `SlugRelatedField`, `HyperlinkedRelatedField`)
    declared on a serializer with `queryset=Model.objects.all()`, when the project shows users only their own rows
    of that patient-data model elsewhere (a view's `get_queryset()` keeps the requesting user's consultations): the
    field accepts the id of any row, the user's or not, and the serializer links or writes to it.

    The same goes for a serializer method that fetches such a row by an id from the payload itself
    (`Consultation.objects.get(id=self.validated_data["consultation_id"])` in a property, `validate()` or `create()`).

    Not flagged: a read-only field, a serializer that narrows the field to the user (a `validate_<field>()` or
    `__init__()` that reads the requesting user), models no view scopes per user (every clinician may link any
    patient there), accounts, and models that hold no patient data.

    ## Why is this bad?
    The view checks the caller's access to the object it serves, not to the objects the payload names: a user books
    a reminder on, or joins, another clinic's consultation by sending its id. HIPAA §164.312(a)(1) access control;
    §164.308(a)(4) information access management.

    ## Example
    ```python
    class ReminderSerializer(serializers.ModelSerializer):
        consultation_id = serializers.PrimaryKeyRelatedField(source="consultation",
                                                             queryset=Consultation.objects.all())
    ```

    Use instead: restrict the queryset to the caller, in `__init__()` or a `validate_consultation_id()`
    (`Consultation.objects.filter(owner=self.context["request"].user)`).
    """

    code = "WG321"
    name = "unscoped-related-field"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Serializer field accepts any row of a model the project scopes to each user"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # The lookup is narrowed to the requesting user.
        Valid(_BY_HAND.replace("Consultation.objects.get(id=validated_data.pop(\"consultation_id\"))",
                               'Consultation.objects.get(id=validated_data.pop("consultation_id"), '
                               'owner=self.context["request"].user)'),
              path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        Valid("""\
            from rest_framework import serializers
            from clinic.models import Consultation, Reminder

            class ReminderSerializer(serializers.ModelSerializer):
                consultation_id = serializers.PrimaryKeyRelatedField(source="consultation",
                                                                     queryset=Consultation.objects.all())

                def validate_consultation_id(self, value):
                    if value.owner != self.context["request"].user:
                        raise serializers.ValidationError("not yours")
                    return value
            """, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        Valid("""\
            from rest_framework import serializers
            from clinic.models import Consultation

            class ReminderSerializer(serializers.Serializer):
                consultation = serializers.PrimaryKeyRelatedField(queryset=Consultation.objects.all(), read_only=True)
            """, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        # Verification: the payload names the consultation and the code its owner was sent.
        Valid("""\
            from rest_framework import serializers
            from clinic.models import Consultation, Reminder

            class ConfirmSerializer(serializers.Serializer):
                consultation_id = serializers.IntegerField()
                code = serializers.CharField(max_length=6)

                def validate(self, data):
                    consultation = Consultation.objects.get(id=data["consultation_id"])
                    Reminder.objects.get(consultation=consultation, text=data["code"])
                    if not Reminder.objects.filter(consultation=consultation, confirmation_code=data["code"]):
                        raise serializers.ValidationError("wrong code")
                    return data
            """, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        # No view keeps consultations to their owners: every user may name any of them.
        Valid("""\
            from rest_framework import serializers
            from clinic.models import Consultation

            class ReminderSerializer(serializers.Serializer):
                consultation = serializers.PrimaryKeyRelatedField(queryset=Consultation.objects.all())
            """, path="clinic/serializers.py", files=(_MODELS, (_VIEWS[0], _VIEWS[1].replace(
                "owner=self.request.user", "notes__isnull=False")))),
    )
    INVALID = (
        # The serializer resolves the payload's id itself, from every consultation.
        Invalid(_BY_HAND, line=9, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
        Invalid("""\
            from rest_framework import serializers
            from clinic.models import Consultation, Reminder

            class ReminderSerializer(serializers.ModelSerializer):
                consultation_id = serializers.PrimaryKeyRelatedField(source="consultation",
                                                                     queryset=Consultation.objects.all())

                class Meta:
                    model = Reminder
                    fields = ["consultation_id", "text"]
            """, line=5, path="clinic/serializers.py", files=(_MODELS, _VIEWS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test) and "Serializer" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None:
            return
        scoped: dict[str, str] | None = None
        for cls in (s for s in node.body if isinstance(s, ast.ClassDef)):
            narrowed = _narrowed_fields(cls)
            if "*" not in narrowed and any(last_part(a).endswith("Serializer") for a in
                                           code.ancestors(f"{self.ctx.imports.module}.{cls.name}")[1:]):
                if scoped is None:
                    scoped = user_scoped_models(code, models)
                self._by_hand(cls, models, code, scoped)
            for stmt in cls.body:
                found = self._related_field(stmt, models)
                if found is None:
                    continue
                field, model = found
                if field in narrowed or "*" in narrowed or is_account(models, model) or model not in models.patient:
                    continue
                if scoped is None:
                    scoped = user_scoped_models(code, models)
                by = scoped.get(model)
                if by is None:
                    continue
                where = code.lookup(by)
                site = f" ({where.path}:{where.line})" if where is not None else ""
                self.report(stmt, f"{cls.name}.{field} accepts the id of any {last_part(model)} "
                            f"(queryset={last_part(model)}.objects.all()), while {last_part(by)}.get_queryset(){site} "
                            f"shows a user only their own {last_part(model)} rows: a client links or writes to "
                            "another user's record by sending its id.",
                            fix=f"Narrow the field's queryset to the requesting user (in __init__() or "
                            f"validate_{field}()), as {last_part(by)} does.")

    def _by_hand(self, cls: ast.ClassDef, models: ModelIndex, code: ProjectCode,
                 scoped: dict[str, str]) -> None:
        """Lookups a serializer's own methods make with an id from the payload (`Consultation.objects.get(
        id=self.validated_data["consultation_id"])` in a property, `validate()`, `create()`): the same open door as a
        field's `queryset=X.objects.all()`, written by hand."""
        if _proves_a_secret(cls):
            return  # the payload names a row and a code the server sent its owner: possession is the authorization
        for m in cls.body:
            if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) or _reads_user(m):
                continue
            params = [a.arg for a in (*m.args.posonlyargs, *m.args.args)][1:]
            client = frozenset(params[-1:] if m.name in _PAYLOAD_METHODS or m.name.startswith("validate_") else ())
            for lookup in analyse(m, self.ctx.imports, models, code, client).unscoped:
                model = lookup.model
                by = scoped.get(model)
                if by is None or model not in models.patient or is_account(models, model):
                    continue
                where = code.lookup(by)
                site = f" ({where.path}:{where.line})" if where is not None else ""
                self.report(lookup.node, f"{cls.name}.{m.name} fetches the {last_part(model)} the payload names "
                            f"({', '.join(lookup.keys)}) from all rows, while {last_part(by)}.get_queryset(){site} "
                            f"shows a user only their own {last_part(model)} rows: a client links or writes to "
                            "another user's record by sending its id.",
                            fix=f"Fetch it from the rows the requesting user may see (`self.context['request'].user`), "
                            f"as {last_part(by)} does.")

    def _related_field(self, stmt: ast.stmt, models: ModelIndex) -> tuple[str, str] | None:
        """(field name, model) of `name = PrimaryKeyRelatedField(queryset=Model.objects.all())`, writable."""
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call)):
            return None
        call = stmt.value
        if last_part(self.ctx.imports.qualname(call.func) or "") not in _RELATED_FIELDS:
            return None
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        read_only = kw.get("read_only")
        if isinstance(read_only, ast.Constant) and read_only.value is True:
            return None
        qs = kw.get("queryset")
        if not (isinstance(qs, ast.Call) and isinstance(qs.func, ast.Attribute) and qs.func.attr == "all"
                and not qs.args):
            return None
        info = models.lookup(model_ref(qs, self.ctx.imports))
        return (stmt.targets[0].id, info.qualname) if info is not None else None


_SECRET_KEY = re.compile(r"^(code|token|otp|pin|secret|key|nonce)$|_(code|token|otp|pin|secret|key)$")


def _proves_a_secret(cls: ast.ClassDef) -> bool:
    """A verification serializer: it looks a row up by a secret the client sent (`VerificationCode.objects.get(
    patient=patient, code=code)`, `reset_key=...`), so only whoever received that code gets through."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("get", "filter")
               and any(k.arg and _SECRET_KEY.search(k.arg) and not isinstance(k.value, ast.Constant)
                       for k in n.keywords) for n in walk(cls))


def _narrowed_fields(cls: ast.ClassDef) -> set[str]:
    """Fields the serializer narrows to the requesting user: `validate_<field>()` reading the user; "*" when
    `__init__()` / `get_fields()` / `validate()` reads it (it may narrow any field)."""
    out: set[str] = set()
    for m in cls.body:
        if not isinstance(m, ast.FunctionDef) or not _reads_user(m):
            continue
        if m.name.startswith("validate_"):
            out.add(m.name.removeprefix("validate_"))
        elif m.name in ("__init__", "get_fields", "validate"):
            out.add("*")
    return out


def _reads_user(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`self.context["request"].user`, `request.user`, `self.context.get("request").user`."""
    return mentions_user(fn, set()) or any(isinstance(n, ast.Attribute) and n.attr == "user"
                                           and "context" in ast.unparse(n.value) for n in walk(fn))
