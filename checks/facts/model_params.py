"""Writes through a model passed as an argument: `def update_field(model, pk, **f): model.objects.filter(pk=pk).update(**f)`.

A project's central write helper takes the model class as a parameter, so the write itself names no
model; its callers do (`update_field(Management, pk, ...)`). Each file records its helpers' parameter
writes and its calls that pass a class; the merge joins them, so the audit checks know which models
reach each helper write.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..names import ImportMap, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "model_params"
_WRITES = frozenset({"update", "bulk_update", "bulk_create", "delete"})


@dataclass
class ParamWrite:
    function: str  # qualname of the helper
    param: str
    index: int  # position of the parameter
    line: int


@dataclass
class FileParams:
    writes: list[ParamWrite] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (callee, {"0"|kw: class qualname})


@dataclass
class ModelParams:
    passed: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (helper, param) -> class qualnames
    callers: dict[tuple[str, str], int] = field(default_factory=dict)  # (helper, param) -> number of call sites

    def models_for(self, function: str, param: str) -> set[str]:
        return self.passed.get((function, param), set())


def root_name(expr: ast.AST) -> ast.Name | None:
    """The name a call chain starts from: `model` in `model.objects.filter(pk=1).update`."""
    while True:
        if isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Attribute):
            expr = expr.value
        else:
            return expr if isinstance(expr, ast.Name) else None


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileParams | None:
    assert src.tree is not None
    out = FileParams()
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args, *stmt.args.kwonlyargs)]
            for n in walk(stmt):
                if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES
                        and "objects" in ast.unparse(n.func.value)):
                    root = root_name(n.func.value)
                    if root is not None and root.id in params:
                        out.writes.append(ParamWrite(f"{imports.module}.{stmt.name}", root.id,
                                                     params.index(root.id), n.lineno))
    for n in src.nodes:
        if not isinstance(n, ast.Call):
            continue
        args = {str(i): a for i, a in enumerate(n.args)} | {k.arg: k.value for k in n.keywords if k.arg}
        classes = {key: q for key, a in args.items() if isinstance(a, (ast.Name, ast.Attribute))
                   and (q := imports.qualname(a)) and last_part(q)[:1].isupper()}
        callee = imports.qualname(n.func)
        if classes and callee and "." in callee:
            out.calls.append((callee, classes))
    return out if (out.writes or out.calls) else None


def merge(per_file: dict[str, FileParams], vocab: Vocabulary) -> ModelParams:
    out = ModelParams()
    writes = [w for fp in per_file.values() for w in fp.writes]
    if not writes:
        return out
    by_name: dict[str, list[ParamWrite]] = {}
    for w in writes:
        by_name.setdefault(last_part(w.function), []).append(w)
    for fp in per_file.values():
        for callee, classes in fp.calls:
            for w in by_name.get(last_part(callee), []):
                if not (callee == w.function or w.function.endswith("." + callee) or callee.endswith(
                        "." + last_part(w.function))):
                    continue
                model = classes.get(w.param) or classes.get(str(w.index))
                if model:
                    out.passed.setdefault((w.function, w.param), set()).add(model)
                    out.callers[(w.function, w.param)] = out.callers.get((w.function, w.param), 0) + 1
    return out


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
