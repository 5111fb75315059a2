"""What a DRF generic view's own HTTP handlers leave of the update and destroy it inherits.

`class UserLogout(DestroyAPIView)` with `def delete(self, request): logout(request)` inherits destroy(), but no request
reaches it: DRF routes DELETE to the class's own `delete()`. A check that counts inherited writes asks `replaced()`.
"""
from __future__ import annotations

import ast

from ..walk import walk

# The HTTP handlers through which a generic view's update or destroy runs.
HANDLED_BY = {"update": ("put", "patch"), "destroy": ("delete",)}
# The generic steps an override may still call (`return super().delete(...)`, `self.destroy(...)`).
_GENERIC_STEPS = frozenset({"update", "partial_update", "perform_update", "destroy", "perform_destroy", "get_object",
                            "put", "patch", "delete"})
# What a handler of its own does when it changes rows.
_ROW_WRITES = frozenset({"save", "delete", "update", "create", "bulk_create", "bulk_update", "get_or_create",
                         "update_or_create", "set_password", "perform_create", "perform_update", "perform_destroy"})


def replaced(cls: ast.ClassDef, action: str) -> bool:
    """The class defines every HTTP handler of `action` ("update" or "destroy") and none reaches the generic step:
    the inherited change never runs."""
    own = {m.name: m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
    handlers = HANDLED_BY[action]
    if not all(h in own for h in handlers):
        return False
    return not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _GENERIC_STEPS
                   and ast.unparse(n.func.value).startswith(("self", "super("))
                   for h in handlers for n in walk(own[h]))


def changes_rows(fn: ast.AST) -> bool:
    """The handler writes rows itself or hands over to a generic step."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and (n.func.attr in _ROW_WRITES or n.func.attr in _GENERIC_STEPS
                    and ast.unparse(n.func.value).startswith(("self", "super(")))
               for n in walk(fn))
