"""WG805: a migration that drops or narrows a patient model's column or table, or rewrites its rows."""
from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from ..facts.querysets import default_table
from ..finding import Category, Confidence, Finding, Severity
from ..names import last_part
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor, number

_SQL = re.compile(r"\b(DROP\s+TABLE|DROP\s+COLUMN|TRUNCATE|DELETE\s+FROM|UPDATE|ALTER\s+TABLE)\s+(?:IF\s+EXISTS\s+)?"
                  r"(?:ONLY\s+)?[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?(\w+)", re.IGNORECASE)
_NARROWING_KW = ("max_length", "max_digits", "decimal_places")
_WRITES = re.compile(r"\.(save|update|delete|bulk_update|bulk_create|_raw_delete)\(|\.execute\(")

MODELS = """\
from django.db import models


class Patient(models.Model):
    mrn = models.CharField(max_length=20)
    allergies = models.TextField(blank=True)
"""
INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(name="Patient", fields=[
            ("mrn", models.CharField(max_length=20)),
            ("allergies", models.TextField(blank=True)),
        ]),
    ]
"""


def _kw(call: ast.Call, name: str, pos: int) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return call.args[pos] if len(call.args) > pos else None


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def is_migration(path: str) -> bool:
    p = PurePosixPath(path)
    return p.parent.name.startswith("migrations") and p.suffix == ".py" and p.name != "__init__.py"


class DestructiveMigration(ChangeRule):
    """## What it does
    Reads the operations a change adds to migrations and reports those that destroy or rewrite
    clinical data of a patient-data model (as the project model classifies the model at the base):
    `RemoveField` and `DeleteModel`; an `AlterField` that narrows a column (a smaller `max_length`,
    `max_digits` or `decimal_places`, or another field type); `RunSQL` that drops, truncates,
    deletes from, updates or alters a patient table; and `RunPython` whose function writes rows of a
    patient model. Operations already in the base's migrations are not reported again.

    ## Why is this bad?
    A dropped column of clinical data is gone on every environment the migration reaches, including
    the audit history a regulator may ask for; a narrowed column truncates or fails on real data.
    Such a migration needs a DBA and a retention decision, not only a code review.

    Severity: high; critical for a dropped patient table.

    ## Example
    ```python
    operations = [migrations.RemoveField(model_name="patient", name="allergies")]
    ```

    Use instead: keep the column (deprecate it in code), or archive its data first and have the DBA
    and compliance approve the drop.
    """

    code = "WG805"
    name = "destructive-migration"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 404
    summary = "A migration drops or narrows a patient model's column or table, or rewrites its rows."

    VALID = (
        Refactor(  # adding a column destroys nothing
            before="",
            after="""\
            from django.db import migrations, models


            class Migration(migrations.Migration):
                dependencies = [("clinic", "0001_initial")]
                operations = [
                    migrations.AddField(model_name="patient", name="nhs_number",
                                        field=models.CharField(max_length=10, blank=True)),
                ]
            """,
            path="clinic/migrations/0002_patient_nhs_number.py",
            files=(("clinic/models.py", MODELS), ("clinic/migrations/0001_initial.py", INITIAL),
                   ("clinic/migrations/__init__.py", ""), ("clinic/__init__.py", ""))),
    )
    INVALID = (
        Dangerous(
            before="",
            after="""\
            from django.db import migrations


            class Migration(migrations.Migration):
                dependencies = [("clinic", "0001_initial")]
                operations = [
                    migrations.RemoveField(model_name="patient", name="allergies"),
                ]
            """,
            line=7, path="clinic/migrations/0002_remove_patient_allergies.py",
            files=(("clinic/models.py", MODELS), ("clinic/migrations/0001_initial.py", INITIAL),
                   ("clinic/migrations/__init__.py", ""), ("clinic/__init__.py", ""))),
        Dangerous(
            before="",
            after="""\
            from django.db import migrations, models


            class Migration(migrations.Migration):
                dependencies = [("clinic", "0001_initial")]
                operations = [
                    migrations.AlterField(model_name="patient", name="mrn",
                                          field=models.CharField(max_length=8)),
                ]
            """,
            line=7, path="clinic/migrations/0002_alter_patient_mrn.py",
            files=(("clinic/models.py", MODELS), ("clinic/migrations/0001_initial.py", INITIAL),
                   ("clinic/migrations/__init__.py", ""), ("clinic/__init__.py", ""))),
    )

    def run(self) -> list[Finding]:
        for d in self.changes.deltas.values():
            if d.after is None or d.after.tree is None or not is_migration(d.path):
                continue
            old_ops = {ast.dump(n) for n in d.before.nodes if isinstance(n, ast.Call)} if d.before else set()
            app = PurePosixPath(d.path).parent.parent.name
            funcs = {f.name: f for f in d.after.tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for call in (n for n in d.after.nodes if isinstance(n, ast.Call)):
                if ast.dump(call) in old_ops:
                    continue
                op = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                self._operation(d, app, op, call, funcs)
        return self.findings

    def _operation(self, d: FileDelta, app: str, op: str, call: ast.Call, funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> None:
        line, end = call.lineno, call.end_lineno
        if op in ("RemoveField", "AlterField"):
            model = self._model(app, _str(_kw(call, "model_name", 0)))
            fname = _str(_kw(call, "name", 1))
            if model is None or fname is None:
                return
            if op == "RemoveField":
                self.report(d, line, f"drops column `{fname}` of patient model `{last_part(model)}`: "
                            f"{last_part(model)}.{fname} → dropped", end_line=end,
                            properties={"model": model, "field": fname, "operation": op})
                return
            narrowed = self._narrowing(model, fname, _kw(call, "field", 2))
            if narrowed:
                self.report(d, line, f"narrows column `{fname}` of patient model `{last_part(model)}`: {narrowed}",
                            end_line=end, properties={"model": model, "field": fname, "operation": op})
        elif op == "DeleteModel":
            model = self._model(app, _str(_kw(call, "name", 0)))
            if model is not None:
                self.report(d, line, f"drops the table of patient model `{last_part(model)}`: "
                            f"{last_part(model)} → dropped", end_line=end, severity=Severity.CRITICAL,
                            properties={"model": model, "operation": op})
        elif op == "RunSQL":
            sql = " ".join(s for s in (_str(n) for n in walk(call)) if s)
            for m in _SQL.finditer(sql):
                model = self._table(m.group(2))
                if model is not None:
                    verb = " ".join(m.group(1).upper().split())
                    self.report(d, line, f"RunSQL {verb} on `{m.group(2)}` rewrites clinical data of patient model "
                                f"`{last_part(model)}`", end_line=end,
                                properties={"model": model, "operation": op, "sql": verb})
                    return
        elif op == "RunPython" and call.args:
            fn = funcs.get(getattr(call.args[0], "id", ""))
            if fn is None:
                return
            text = ast.unparse(fn)
            if not _WRITES.search(text):
                return
            for m in re.finditer(r"get_model\(\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]|get_model\(\s*['\"](\w+)\.(\w+)",
                                 text):
                app_label, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                model = self._model(app_label, name)
                if model is not None:
                    self.report(d, line, f"RunPython `{fn.name}` rewrites rows of patient model "
                                f"`{last_part(model)}`", end_line=end, properties={"model": model, "operation": op})
                    return

    def _model(self, app: str, name: str | None) -> str | None:
        """The patient model a migration names (`model_name="patient"` in app `clinic`), from the base model."""
        models = self.changes.models("base")
        if models is None or not name:
            return None
        hits = [q for q in models.django if models.models[q].name.lower() == name.lower()]
        local = [q for q in hits if f".{app}." in f".{q}." or models.models[q].path.startswith(f"{app}/")]
        q = next(iter(local or hits), None)
        return q if q is not None and self.changes.patient(q) else None

    def _table(self, table: str) -> str | None:
        models = self.changes.models("base")
        if models is None:
            return None
        for q in models.django:
            if (models.models[q].db_table or default_table(q)).lower() == table.lower():
                return q if self.changes.patient(q) else None
        return None

    def _narrowing(self, model: str, fname: str, new_field: ast.expr | None) -> str | None:
        """How an AlterField narrows the base's field definition (None when it does not)."""
        old_field = self._base_field(model, fname)
        if old_field is None or not isinstance(new_field, ast.Call):
            return None
        old_kind = last_part(ast.unparse(old_field.func))
        new_kind = last_part(ast.unparse(new_field.func))
        if old_kind != new_kind:
            return f"{old_kind} → {new_kind}"
        for kw in _NARROWING_KW:
            old_v, new_v = number(_kw(old_field, kw, 99)), number(_kw(new_field, kw, 99))
            if old_v is not None and new_v is not None and new_v < old_v:
                return f"{kw} {int(old_v)} → {int(new_v)}"
        return None

    def _base_field(self, model: str, fname: str) -> ast.Call | None:
        models = self.changes.models("base")
        info = models.models.get(model) if models is not None else None
        if info is None:
            return None
        d = next((x for x in self.changes.deltas.values() if x.old_path == info.path), None)
        src_text = d.before.text if d is not None and d.before is not None else self.changes.read_head(info.path)
        if not src_text:
            return None
        try:
            tree = ast.parse(src_text)
        except SyntaxError:
            return None
        for node in walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == info.name:
                for s in node.body:
                    if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == fname for t in s.targets) \
                            and isinstance(s.value, ast.Call):
                        return s.value
        return None
