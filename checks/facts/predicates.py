"""Project functions that only answer a question: every `return` gives a boolean (a comparison, `not`, `and`/`or`
of such, True/False, a `has_perm()`), nothing is raised, nothing is changed and nothing is called for its effect
(a bare call other than logging may raise). Called as a bare statement, such a
function does nothing at all: a check whose answer is thrown away (for WG303).

Per file: module-level functions, by qualified name, with whether they are about access (their name says access,
permission or allowed, or they take the user or the request). Tests and migrations are left out.
"""
from __future__ import annotations

import ast
import re

from ..names import ImportMap
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "predicates"
_ACCESS = re.compile(r"access|perm|allow|authori[sz]|may_|can_|is_owner|belongs", re.IGNORECASE)
_USER_PARAMS = frozenset({"user", "request", "requester", "actor"})
_BOOL_CALLS = re.compile(r"^(has_|is_|can_)|^(bool|isinstance|issubclass|any|all|exists)$")
_CHANGES = frozenset({"save", "delete", "create", "update", "bulk_create", "bulk_update", "add", "remove", "send",
                      "set"})


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> dict[str, bool] | None:
    """{qualname: about access} of the file's module-level predicates."""
    if src.looks_like_test or src.looks_like_migration or src.tree is None:
        return None
    out = {f"{imports.module}.{fn.name}": _about_access(fn) for fn in src.tree.body
           if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_predicate(fn)}
    return out or None


def merge(per_file: dict[str, dict[str, bool]], vocab: Vocabulary) -> dict[str, bool]:
    return {q: access for found in per_file.values() for q, access in found.items()}


def is_predicate(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    returns = [n for n in walk(fn) if isinstance(n, ast.Return)]
    if not returns or any(r.value is None or not _boolean(r.value) for r in returns):
        return False
    for n in walk(fn):
        if isinstance(n, (ast.Raise, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)):
            return False
        if isinstance(n, ast.Expr) and isinstance(n.value, (ast.Call, ast.Await)) and not _logs(n.value):
            return False  # a call made for its effect (`_security_violation(user, patient)` may raise)
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and any(
                not isinstance(t, ast.Name) for t in (n.targets if isinstance(n, ast.Assign) else [n.target])):
            return False  # changes an attribute or an item: a side effect
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _CHANGES:
            return False
    return True


def _logs(call: ast.expr) -> bool:
    """`logger.info(...)`, `logging.warning(...)`, `print(...)`: said, not done."""
    f = call.func if isinstance(call, ast.Call) else None
    if isinstance(f, ast.Name):
        return f.id == "print"
    return isinstance(f, ast.Attribute) and f.attr in ("debug", "info", "warning", "warn", "error", "exception",
                                                       "critical", "log")


def _boolean(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, bool)
    if isinstance(value, ast.Compare) or isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not):
        return True
    if isinstance(value, ast.BoolOp):
        return all(_boolean(v) for v in value.values)
    if isinstance(value, ast.Call):
        f = value.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return bool(_BOOL_CALLS.search(name))
    return False


def _about_access(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return bool(_ACCESS.search(fn.name)) or any(a.arg in _USER_PARAMS for a in fn.args.args)


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
