"""Django signal receivers that see every model: `@receiver(post_save)` with no `sender`."""
from __future__ import annotations

import ast

from ..names import ImportMap, last_part, matches

_RECEIVER = ("django.dispatch.receiver", "django.dispatch.dispatcher.receiver")
SAVE_SIGNALS = frozenset({"pre_save", "post_save"})
MODEL_SIGNALS = frozenset({"post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed"})


def global_signals(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> set[str]:
    """The model signals (`post_save`...) a function receives for every sender:
    `@receiver(post_save)` / `@receiver([pre_save, post_save])` with no `sender=`."""
    out: set[str] = set()
    for dec in fn.decorator_list:
        if not (isinstance(dec, ast.Call) and matches(imports.qualname(dec.func) or "", *_RECEIVER) and dec.args):
            continue
        if any(k.arg == "sender" for k in dec.keywords):
            continue
        first = dec.args[0]
        for s in first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]:
            q = imports.qualname(s) or ""
            if q.startswith("django.db.models.signals.") or "." not in q:
                out.add(last_part(q))
    return out & MODEL_SIGNALS
