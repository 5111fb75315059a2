"""Which expressions read protected health information, within one function (light data flow).

Not a collector: helpers for the PHI rules. A read is `X.field` where `field` is a PHI field
(DEFAULT_PHI_FIELDS + config, or a property of a patient model that reads them, e.g.
`full_name`), and `X` is an instance of a patient-data model: a variable assigned from
`Patient.objects.get(...)`, `get_object_or_404(Patient, ...)`, a loop over a patient queryset,
a FK hop (`result.patient`, `encounter.patient`), a parameter annotated or named after the model.
Internal ids and counts (`patient.pk`, `len(patients)`) are never PHI.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..names import ImportMap, last_part
from ..walk import walk
from .clinical_functions import NAME as FUNCS
from .clinical_functions import FunctionIndex
from .django_models import NAME as MODELS
from .django_models import ModelIndex
from .querysets import QS_METHODS

_GETTERS = {"get", "first", "last", "latest", "earliest", "get_or_create", "create", "select_for_update"}
_SHORTCUTS = {"get_object_or_404"}
_NEVER = {"pk", "id", "uuid", "external_id"}


@dataclass
class PhiScope:
    imports: ImportMap
    models: ModelIndex | None
    funcs: FunctionIndex | None
    phi_fields: frozenset[str]
    env: dict[str, list[ast.expr]] = field(default_factory=dict)
    loops: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: dict[str, ast.arg] = field(default_factory=dict)

    @classmethod
    def of(cls, fn: ast.AST | None, imports: ImportMap, project, phi_fields: frozenset[str]) -> PhiScope:
        scope = cls(imports, project.fact(MODELS), project.fact(FUNCS), phi_fields)
        if fn is None:
            return scope
        for n in walk(fn):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        scope.env.setdefault(t.id, []).append(n.value)
            elif isinstance(n, ast.withitem) and isinstance(n.optional_vars, ast.Name):
                scope.env.setdefault(n.optional_vars.id, []).append(n.context_expr)  # `with open(p, "w") as f`
            elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(n.target, ast.Name):
                scope.loops.setdefault(n.target.id, []).append(n.iter)
            elif isinstance(n, ast.arguments):
                for a in (*n.posonlyargs, *n.args, *n.kwonlyargs):
                    scope.params[a.arg] = a
        return scope

    # -- models of expressions ---------------------------------------------------------------
    def _model(self, ref: str | None) -> str | None:
        if self.models is None or not ref:
            return None
        m = self.models.lookup(ref)
        return m.qualname if m is not None and m.qualname in self.models.django else None

    def _patient_model(self) -> str | None:
        if self.models is None:
            return None
        hits = [q for q in self.models.patient if last_part(q).lower() == "patient"]
        return hits[0] if len(hits) == 1 else None

    def queryset_model(self, expr: ast.AST, depth: int = 0) -> str | None:
        if depth > 6:
            return None
        if isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Name) and f.id in ("list", "tuple", "sorted", "set") and expr.args:
                return self.queryset_model(expr.args[0], depth + 1)
            if isinstance(f, ast.Attribute) and (f.attr in QS_METHODS or f.attr in ("iterator", "all")):
                return self.queryset_model(f.value, depth + 1)
            return None
        if isinstance(expr, ast.Attribute) and expr.attr == "objects":
            return self._model(self.imports.qualname(expr.value))
        if isinstance(expr, ast.Name):
            for v in self.env.get(expr.id, []):
                found = self.queryset_model(v, depth + 1)
                if found:
                    return found
        return None

    def instance_model(self, expr: ast.AST, depth: int = 0) -> str | None:
        """Model qualname of an instance expression; "?patient" when only the spelling says patient."""
        if depth > 6:
            return None
        if isinstance(expr, ast.Name):
            for v in self.env.get(expr.id, []):
                found = self.instance_model(v, depth + 1)
                if found:
                    return found
            for it in self.loops.get(expr.id, []):
                found = self.queryset_model(it, depth + 1)
                if found:
                    return found
            arg = self.params.get(expr.id)
            if arg is not None and arg.annotation is not None:
                found = self._model(self.imports.qualname(arg.annotation))
                if found:
                    return found
            return self._by_spelling(expr.id)
        if isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Name) and last_part(self.imports.qualname(f)) in _SHORTCUTS and expr.args:
                return self._model(self.imports.qualname(expr.args[0])) or self.queryset_model(expr.args[0])
            if isinstance(f, ast.Attribute) and f.attr in _GETTERS:
                return self.queryset_model(f.value, depth + 1)
            if isinstance(f, ast.Attribute) and not expr.args and not expr.keywords and self.models is not None \
                    and self.instance_model(f.value, depth + 1):
                # a record's accessor named for a patient model (OPAL's `patient.demographics()`)
                return self.models.spelled_patient_model(f.attr)
            return None
        if isinstance(expr, ast.Attribute):
            owner = self.instance_model(expr.value, depth + 1)
            if owner and not owner.startswith("?") and self.models is not None:
                fi = self.models.models[owner].fields.get(expr.attr)
                if fi is not None and fi.target:
                    return self._model(fi.target) or self._by_spelling(expr.attr)
            return self._by_spelling(expr.attr)
        return None

    def _by_spelling(self, name: str) -> str | None:
        low = name.lower()
        if low == "patient" or low.endswith("_patient") or low in ("pt", "current_patient"):
            return self._patient_model() or "?patient"
        # `participant`, `message`: named after one of the project's patient models
        return self.models.spelled_patient_model(low) if self.models is not None else None

    # -- PHI reads -----------------------------------------------------------------------------
    def phi_read(self, node: ast.AST) -> str | None:
        """`patient.mrn` -> "patient.mrn" when `node` is such a read, else None."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "get_full_name", "get_short_name"):
            node = node.func
            attr = "full_name"
        elif isinstance(node, ast.Attribute):
            attr = node.attr
        else:
            return None
        assert isinstance(node, ast.Attribute)
        if attr in _NEVER:
            return None
        model = self.instance_model(node.value)
        if model is None:
            return None
        props = set()
        if not model.startswith("?") and self.models is not None:
            if model not in self.models.patient:
                return None
            info = self.models.models[model]
            if self.funcs is not None:
                props = self.funcs.phi_properties.get(info.name, set())
            props = props | self.models.declared_phi_properties(model)
            if attr not in props and attr not in self.phi_fields:
                return None
        elif attr not in self.phi_fields:
            return None
        return ast.unparse(node)

    def phi_in(self, expr: ast.AST | None, follow: int = 1) -> list[str]:
        """Every PHI read inside `expr` (f-strings, dicts, calls), following local names `follow` deep."""
        if expr is None:
            return []
        out: list[str] = []
        # `upload.id` says nothing about the PHI that went into `upload`: do not follow id owners.
        id_owners = {id(n.value) for n in walk(expr) if isinstance(n, ast.Attribute) and n.attr in _NEVER}
        for n in walk(expr):
            found = self.phi_read(n)
            if found and found not in out:
                out.append(found)
            if follow and isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in id_owners:
                for v in self.env.get(n.id, []):
                    out += [r for r in self.phi_in(v, follow - 1) if r not in out]
        return out


class ScopedPhiCheck:
    """Mixin for checks: `self.phi` is the PhiScope of the innermost enclosing function."""

    _scopes: list[PhiScope]

    @property
    def phi(self) -> PhiScope:
        if not getattr(self, "_scopes", None):
            self._scopes = [PhiScope.of(None, self.ctx.imports, self.ctx.project,  # type: ignore[attr-defined]
                                        self.ctx.vocab.phi_field_names())]  # type: ignore[attr-defined]
        return self._scopes[-1]

    def visit_FunctionDef(self, node: ast.AST) -> None:
        _ = self.phi
        ctx = self.ctx  # type: ignore[attr-defined]
        # Shared by the PHI checks walking the same function (read-only once built).
        self._scopes.append(ctx.shared(f"phi-scope:{id(node)}", lambda: PhiScope.of(
            node, ctx.imports, ctx.project, ctx.vocab.phi_field_names())))

    def leave_FunctionDef(self, node: ast.AST) -> None:
        self._scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    leave_AsyncFunctionDef = leave_FunctionDef
