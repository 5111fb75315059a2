"""WG803: a patient model lost its audit trail, or a write moved out of the audit's sight."""
from __future__ import annotations

import ast
import re

from ..facts.django_code import writes_in
from ..facts.django_models import SIGNAL_AUDIT
from ..facts.querysets import Scope, sql_write_tables
from ..finding import Category, Confidence, Finding, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor, scoped_nodes

_BYPASS = frozenset({"update", "bulk_update", "bulk_create", "_raw_delete", "raw"})
_SQL_CALLS = frozenset({"execute", "executemany"})
_AUDIT_WORDS = re.compile(r"register|histor|VersionAdmin|audit|reversion|pghistory|track", re.IGNORECASE)

MODELS = """\
from django.db import models
from simple_history.models import HistoricalRecords


class Patient(models.Model):
    mrn = models.CharField(max_length=20)
    discharged = models.BooleanField(default=False)
    history = HistoricalRecords()
"""


def _audit_statement(d: FileDelta, name: str) -> int | None:
    """The base line of the class's audit statement (history field, audit decorator or base) that the
    head no longer has."""
    def parts(src: SourceFile | None) -> dict[str, int]:
        out: dict[str, int] = {}
        for node in src.nodes if src is not None else ():
            if isinstance(node, ast.ClassDef) and node.name == name:
                for s in node.body:
                    if isinstance(s, ast.Assign) and _AUDIT_WORDS.search(ast.unparse(s.value)):
                        out[ast.unparse(s)] = s.lineno
                for x in [*node.decorator_list, *node.bases]:
                    if _AUDIT_WORDS.search(ast.unparse(x)):
                        out[ast.unparse(x)] = x.lineno
        return out

    before, after = parts(d.before), parts(d.after)
    gone = [line for text, line in before.items() if text not in after]
    return min(gone) if gone else None


def _audit_calls(fn: ast.AST, services: set[str]) -> list[int]:
    """Lines of calls to the project's explicit audit service (`self.auditor.audit_update(x)`,
    `Auditor.from_request(r).audit_create(x)`): a call whose callee chain names a service."""
    calls = [n for n in walk(fn) if isinstance(n, ast.Call) and services and {
        x.id.lower() if isinstance(x, ast.Name) else x.attr.lower()
        for x in walk(n.func) if isinstance(x, (ast.Name, ast.Attribute))} & services]
    inner = {id(x) for c in calls for x in walk(c.func)}  # `Auditor()` inside `Auditor().audit_update(p)`
    return sorted(c.lineno for c in calls if id(c) not in inner)


def audit_service_calls(d: FileDelta, side: str, rule: AuditRemoved) -> dict[str, tuple[list[int], bool]]:
    """Per function: (lines calling the explicit audit service, does it write)."""
    src = d.before if side == "base" else d.after
    models = rule.changes.models("base")
    services = {last_part(s).lower() for s in (models.audit_services if models is not None else ())}
    out: dict[str, tuple[list[int], bool]] = {}
    if src is None or src.tree is None or not services:
        return out
    for scope, node in scoped_nodes(src.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[f"{scope}.{node.name}" if scope else node.name] = (_audit_calls(node, services), writes_in(node))
    return out


def _writes(d: FileDelta, side: str, rule: AuditRemoved) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
    """Per function (class.function, module-free): (number of `.save()` calls, bypassing writes on
    patient models as (model, line, call))."""
    src = d.before if side == "base" else d.after
    imports = d.imports_before if side == "base" else d.imports_after
    models, code = rule.changes.models(side), rule.changes.code(side)
    out: dict[str, tuple[int, list[tuple[str, int, str]]]] = {}
    if src is None or src.tree is None or imports is None or models is None or code is None:
        return out

    def visit(body: list[ast.stmt], cls: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, stmt.name)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scope = Scope.of(stmt, imports, models, code, f"{imports.module}.{cls}" if cls else None)
                saves, bypass = 0, []
                for n in walk(stmt):
                    if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Attribute):
                        continue
                    if n.func.attr == "save":
                        saves += 1
                    elif n.func.attr in _BYPASS:
                        model = scope.model_of(n.func.value)
                        if model and model in models.patient:
                            bypass.append((model, n.lineno, n.func.attr))
                    elif n.func.attr in _SQL_CALLS and n.args:
                        for table in sql_write_tables(n.args[0], scope.env):
                            model = scope.table_model(table)
                            if model and model in models.patient:
                                bypass.append((model, n.lineno, "raw SQL"))
                out[f"{cls}.{stmt.name}" if cls else stmt.name] = (saves, bypass)

    visit(src.tree.body, None)
    return out


class AuditRemoved(ChangeRule):
    """## What it does
    Compares the audit mechanism of every patient-data model at the base and the head, as the project
    model resolves it (a `HistoricalRecords()` field, `auditlog.register`, a `VersionAdmin`
    registration, an audited base class or decorator, audit middleware or settings, a database
    trigger). It reports a patient model that was audited at the base and is not at the head, on the
    change that removed the mechanism. It also reports a function that used to write through
    `save()` and now writes the same patient data with a queryset-level `update()`/`bulk_update()`
    or raw SQL, which model-level audit trails (signals, simple-history, auditlog) never see; and,
    where the project audits through an explicit service (`Auditor(...).audit_update(obj)`), a
    writing function that stopped calling it.

    A model whose audit cannot be resolved at the head (a base class wardgate cannot read) is
    unknown, and no finding rests on it.

    ## Why is this bad?
    Health-record law requires a trail of who changed which patient's record. Dropping one
    registration line silently ends that trail for a whole table, and nothing fails until an
    incident needs the history that was never written.

    ## Example
    ```python
    class Patient(models.Model):
        mrn = models.CharField(max_length=20)
        # history = HistoricalRecords()   <- removed
    ```

    Use instead:
    ```python
    class Patient(models.Model):
        mrn = models.CharField(max_length=20)
        history = HistoricalRecords()
    ```
    """

    code = "WG803"
    name = "audit-removed"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 778
    summary = "A patient model lost its audit trail, or a write moved from save() to an unaudited bulk or raw write."

    VALID = (
        Refactor(  # the history field moved within the class and the class was reformatted
            before=MODELS,
            after=MODELS.replace("    mrn = models.CharField(max_length=20)\n",
                                 "    mrn = models.CharField(\n        max_length=20,\n    )\n"),
            path="clinic/models.py"),
        Refactor(  # a save() that stays a save()
            before="""\
            from .models import Patient


            def discharge(pk):
                patient = Patient.objects.get(pk=pk)
                patient.discharged = True
                patient.save()
            """,
            after="""\
            from .models import Patient


            def discharge(pk):
                p = Patient.objects.get(pk=pk)
                p.discharged = True
                p.save(update_fields=["discharged"])
            """,
            path="clinic/services.py", files=(("clinic/models.py", MODELS),)),
    )
    INVALID = (
        Dangerous(
            before=MODELS,
            after=MODELS.replace("    history = HistoricalRecords()\n", ""),
            line=7, path="clinic/models.py"),
        Dangerous(
            before="""\
            from .models import Patient


            def discharge(pk):
                patient = Patient.objects.get(pk=pk)
                patient.discharged = True
                patient.save()
            """,
            after="""\
            from .models import Patient


            def discharge(pk):
                Patient.objects.filter(pk=pk).update(discharged=True)
            """,
            line=5, path="clinic/services.py", files=(("clinic/models.py", MODELS),)),
    )

    def run(self) -> list[Finding]:
        self._mechanisms()
        for d in self.changes.deltas.values():
            src = d.after or d.before
            if src is None or src.looks_like_test or src.looks_like_migration:
                continue
            self._bypassing_writes(d)
            self._dropped_audit_calls(d)
        return self.findings

    def _mechanisms(self) -> None:
        base, head = self.changes.models("base"), self.changes.models("head")
        if base is None or head is None:
            return
        project_wide = {SIGNAL_AUDIT, base.global_audit, base.explicit_audit, head.global_audit, head.explicit_audit}
        by_place: dict[tuple[str, int], list[tuple[str, str, str | None]]] = {}
        for q in sorted(base.patient | head.patient):
            was, now = base.audited.get(q), head.audited.get(q)
            if not was or q not in head.django or q in head.unknown_audit or was == now:
                continue
            if now and (was in project_wide or now not in project_wide):
                continue  # still audited by a model's own mechanism, or was only audited project-wide
            d, line = self._where(q, head.models[q].path)
            if d is not None:
                by_place.setdefault((d.path, line), []).append((q, was, now))
                continue
            gone = self._deleted_cause(q)
            if gone is not None:
                m = head.models[q]
                self.report_unchanged(m.path, m.line, f"`{m.name}` (patient data) audit removed: {was} → "
                                      f"{now or 'none'}, by deleting `{gone}`", cause=gone,
                                      properties={"models": [q], "before": was, "after": now})
        for (path, line), lost in by_place.items():
            d = self.changes.deltas[path]
            names = ", ".join(f"`{last_part(q)}`" for q, _, _ in lost[:4]) + (
                f" and {len(lost) - 4} more" if len(lost) > 4 else "")
            q, was, now = lost[0]
            kind = "patient models" if len(lost) > 1 else "(patient data)"
            after = now or "none"
            detail = "" if not now else " (the model's own history is gone; only the project-wide log remains)"
            self.report(d, line, f"{names} {kind} audit removed: {was} → {after}{detail}", end_line=line + 1,
                        properties={"models": [x[0] for x in lost], "before": was, "after": now})

    def _where(self, q: str, model_path: str) -> tuple[FileDelta | None, int]:
        """The changed file that removed the mechanism: the model's own file when it changed, else a
        file whose base mentions the model next to an audit word (a registration), else settings."""
        name = last_part(q)
        own = self.changes.deltas.get(model_path)
        if own is not None and own.after is not None and own.after.tree is not None:
            removed = _audit_statement(own, name)
            if removed is not None:
                return own, own.head_line(removed)
            for node in walk(own.after.tree):
                if isinstance(node, ast.ClassDef) and node.name == name:
                    return own, node.lineno
        for d in self.changes.deltas.values():
            if d.before is None or d.after is None:
                continue
            for i, text in enumerate(d.before.lines, 1):
                if re.search(rf"\b{re.escape(name)}\b", text) and _AUDIT_WORDS.search(text):
                    return d, d.head_line(i)
        for d in self.changes.deltas.values():
            if d.before is not None and d.after is not None and _AUDIT_WORDS.search(d.before.text) and \
                    d.before.looks_like_settings:
                return d, 1
        return None, 0

    def _deleted_cause(self, q: str) -> str | None:
        """A file the change deleted that registered or configured the model's audit."""
        name = last_part(q)
        for d in self.changes.deltas.values():
            if d.after is None and d.before is not None and re.search(rf"\b{re.escape(name)}\b", d.before.text) \
                    and _AUDIT_WORDS.search(d.before.text):
                return d.path
        return None

    def _dropped_audit_calls(self, d: FileDelta) -> None:
        """A writing function that called the project's explicit audit service and no longer does."""
        models = self.changes.models("base")
        if models is None or not models.explicit_audit:
            return
        before, after = audit_service_calls(d, "base", self), audit_service_calls(d, "head", self)
        for fn, (calls, writes) in after.items():
            old = before.get(fn)
            if old is None or len(old[0]) <= len(calls) or not writes:
                continue
            line = d.head_line(old[0][len(calls)] if len(calls) < len(old[0]) else old[0][-1])
            self.report(d, line, f"`{fn}` still writes but no longer calls the audit service: "
                        f"{len(old[0])} audit call(s) → {len(calls)}", end_line=line + 1,
                        properties={"before": len(old[0]), "after": len(calls)})

    def _bypassing_writes(self, d: FileDelta) -> None:
        head = self.changes.models("head")
        before, after = _writes(d, "base", self), _writes(d, "head", self)
        for fn, (saves, bypass) in after.items():
            old = before.get(fn)
            if old is None or old[0] <= saves:
                continue  # a new function, or no save() was replaced
            old_calls = {(m, how) for m, _, how in old[1]}
            for model, line, how in bypass:
                if (model, how) in old_calls:
                    continue
                mech = head.audited.get(model) if head is not None else None
                if mech and "trigger" in mech:
                    continue  # a database trigger sees every write
                call = f"queryset .{how}()" if how != "raw SQL" else how
                self.report(d, line, f"`{fn}` now writes `{last_part(model)}` with {call} instead of save(): "
                            f"{mech or 'its audit'} never sees it (save() → {call})",
                            properties={"model": model, "before": "save()", "after": call})
