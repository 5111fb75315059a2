"""What one row of a model can reach with a query: its relations (from the project model) and the
prefetching a queryset expression asks for. Helpers for the ORM-queries-in-loops rule (WG701).

Forward foreign keys and one-to-ones are loaded by `select_related`; many-to-many fields and reverse
relations (`related_name`, else `<model>_set`; a reverse one-to-one is `<model>`) by
`prefetch_related`. `select_related()` with no arguments follows every forward key.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..names import last_part
from .django_models import ModelIndex

SINGLE = ("ForeignKey", "OneToOneField", "ParentalKey")


@dataclass
class Relations:
    single: dict[str, str] = field(default_factory=dict)  # accessor -> related model (one object per row)
    many: dict[str, str] = field(default_factory=dict)  # accessor -> related model (a manager per row)


_LAST: list[tuple[ModelIndex, dict[str, Relations]]] = []  # the run's model index and its relations


def project_relations(models: ModelIndex) -> dict[str, Relations]:
    """`relations(models)`, computed once per model index (a run has one)."""
    if not _LAST or _LAST[0][0] is not models:
        _LAST[:] = [(models, relations(models))]
    return _LAST[0][1]


def relations(models: ModelIndex) -> dict[str, Relations]:
    """Model qualname -> the relations of its rows, forward and reverse (inherited fields included)."""
    out = {q: Relations() for q in models.django}
    for q in models.django:
        for f in _fields(models, q):
            target = models.lookup(f.target if f.target not in ("self",) else q)
            if target is None or target.qualname not in out:
                continue
            if f.kind in SINGLE:
                out[q].single[f.name] = target.qualname
            elif f.kind == "ManyToManyField":
                out[q].many[f.name] = target.qualname
            else:
                continue
            if f.related_name and (f.related_name.endswith("+") or "%" in f.related_name):
                continue
            source = models.models[q].name.lower()
            if f.kind == "OneToOneField":
                out[target.qualname].single[f.related_name or source] = q
            else:
                out[target.qualname].many[f.related_name or f"{source}_set"] = q
    return out


def _fields(models: ModelIndex, q: str, depth: int = 0) -> list:
    m = models.models[q]
    inherited = []
    if depth < 4:
        for b in m.bases:
            base = models.lookup(b)
            if base is not None and base.qualname != q and base.abstract:
                inherited += _fields(models, base.qualname, depth + 1)
    return [*inherited, *m.fields.values()]


@dataclass
class Prefetch:
    paths: set[str] = field(default_factory=set)  # "patient", "patient__ward", to_attr names
    all_single: bool = False  # select_related() without arguments
    values: bool = False  # .values()/.values_list(): rows are dicts or tuples, not model instances


def prefetches(expr: ast.AST | None, env: dict[str, list[ast.expr]], depth: int = 0) -> Prefetch:
    """The select_related/prefetch_related of a queryset expression, through local assignments
    (`qs = qs.select_related("patient")` anywhere in the function counts: the rule leans to "covered")."""
    out = Prefetch()
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and depth < 12:
        meth = expr.func.attr
        if meth == "select_related":
            out.all_single |= not expr.args
            out.paths |= _strings(expr.args)
        elif meth == "prefetch_related":
            out.paths |= _strings(expr.args)
        elif meth in ("values", "values_list"):
            out.values = True
        expr = expr.func.value
        depth += 1
    if isinstance(expr, ast.Name) and depth < 12:
        for value in env.get(expr.id, []):
            inner = prefetches(value, {k: v for k, v in env.items() if k != expr.id}, depth + 1)
            out.paths |= inner.paths
            out.all_single |= inner.all_single
            out.values |= inner.values
    return out


def _strings(args: list[ast.expr]) -> set[str]:
    out = set()
    for a in args:
        if isinstance(a, ast.Constant) and isinstance(a.value, str):
            out.add(a.value)
        elif isinstance(a, ast.Call) and last_part(_name(a.func)) == "Prefetch":
            out |= _strings(a.args[:1])
            out |= {k.value.value for k in a.keywords if k.arg == "to_attr" and isinstance(k.value, ast.Constant)
                    and isinstance(k.value.value, str)}
    return out


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def covered(pf: Prefetch, path: str, single: bool) -> bool:
    """Whether `path` ("patient" or "patient__ward") is loaded with the rows."""
    if single and pf.all_single:
        return True
    return any(p == path or p.startswith(path + "__") for p in pf.paths)
