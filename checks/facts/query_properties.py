"""Model properties that run a query every time they are read (for the N+1 rules, WG701/WG702).

A property (or cached_property: once per instance is still once per row) queries when its body
builds a queryset from a manager (`Task.objects.filter(patient=self)`) or re-queries one of its own
relations (`self.observations.filter(...)`, `.order_by`, `.latest`): prefetching cannot serve
either. Reading a relation (`self.ward.name`, `self.items.all()`) is left out, since the list
endpoint may well have prefetched it. Candidates are recorded per class; whether the root is a
model and the attribute a relation is decided against the project model when a check asks.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..names import ImportMap, dotted, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .querysets import MANAGERS

if TYPE_CHECKING:
    from .django_models import ModelIndex
    from .orm_relations import Relations

NAME = "query_properties"
REQUERY = frozenset({"filter", "exclude", "get", "order_by", "annotate", "aggregate", "values", "values_list",
                     "latest", "earliest"})


@dataclass(frozen=True)
class Query:
    kind: str  # "manager": root is a model's manager; "relation": self.<attr>.<method>()
    name: str  # the manager's model (qualname as written) or the relation attribute
    text: str  # for messages: "Task.objects.filter(...)"


def queries(fn: ast.AST, owner: str, imports: ImportMap) -> list[Query]:
    """Always-querying expressions in `fn`; `owner` is the name the row has there (`self`, `obj`)."""
    out: list[Query] = []
    for n in walk(fn):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            continue
        base = n.func.value
        if isinstance(base, ast.Attribute) and base.attr in MANAGERS:
            root = imports.qualname(base.value)
            if root:
                out.append(Query("manager", root, f"{dotted(base) or base.attr}.{n.func.attr}(…)"))
        elif (n.func.attr in REQUERY and isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
              and base.value.id == owner):
            out.append(Query("relation", base.attr, f"{owner}.{base.attr}.{n.func.attr}(…)"))
    return out


@dataclass
class FileProperties:
    props: dict[str, dict[str, list[Query]]] = field(default_factory=dict)  # class -> property -> queries


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileProperties | None:
    assert src.tree is not None
    if "property" not in src.text or "." not in src.text:
        return None
    out = FileProperties()
    for stmt in src.tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        for m in stmt.body:
            if isinstance(m, ast.FunctionDef) and any(
                    last_part(dotted(d) or "") in ("property", "cached_property") for d in m.decorator_list):
                found = queries(m, "self", imports)
                if found:
                    out.props.setdefault(f"{imports.module}.{stmt.name}", {})[m.name] = found
    return out if out.props else None


@dataclass
class PropertyIndex:
    props: dict[str, dict[str, list[Query]]] = field(default_factory=dict)


def merge(per_file: dict[str, FileProperties], vocab: Vocabulary) -> PropertyIndex:
    idx = PropertyIndex()
    for fp in per_file.values():
        idx.props.update(fp.props)
    return idx


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()


def is_query(q: Query, model: str, models: ModelIndex, rels: Mapping[str, Relations]) -> bool:
    """`q`, found in a method of `model`'s rows, really queries: a Django model's manager, or a
    to-many relation of the model."""
    if q.kind == "manager":
        return bool(models.is_django_model(q.name))
    r = rels.get(model)
    return r is not None and q.name in r.many


def querying_properties(index: PropertyIndex | None, model: str, models: ModelIndex,
                        rels: Mapping[str, Relations]) -> dict[str, Query]:
    """Property name -> its first real query, for `model` and the classes it inherits from."""
    if index is None:
        return {}
    owners = [model, *(b.qualname for b in (models.lookup(x) for x in models.models[model].bases)
                       if b is not None)]
    out: dict[str, Query] = {}
    for owner in owners:
        for prop, qs in index.props.get(owner, {}).items():
            real = [q for q in qs if is_query(q, model, models, rels)]
            if real and prop not in out:
                out[prop] = real[0]
    return out
