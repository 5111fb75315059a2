"""Permission triggers: edits to permission classes, decorators, mixins, permission methods and
REST framework's default permission settings."""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from .changes import FileChange
from .triggers import Context, Trigger, span

if TYPE_CHECKING:
    from checks.facts.django_code import ProjectCode
    from checks.vocabulary import Vocabulary

_AUTH_WORDS = re.compile(r"perm|login|auth|role|staff|superuser|access|group_required|otp|verified", re.IGNORECASE)
_PERM_METHODS = frozenset({"has_permission", "has_object_permission", "get_permissions", "test_func",
                           "get_permission_required", "has_perm", "has_perms", "has_module_perms",
                           "handle_no_permission", "check_permissions", "check_object_permissions"})
_PERM_ATTRS = frozenset({"permission_classes", "permission_required", "authentication_classes", "raise_exception",
                         "login_url", "permission_denied_message"})
_PERM_SETTINGS = ("DEFAULT_PERMISSION_CLASSES", "DEFAULT_AUTHENTICATION_CLASSES")
# Guards Django, DRF and django-braces define (checks/facts/views.py classifies them the same way).
_KNOWN_GUARDS = frozenset({
    "login_required", "permission_required", "user_passes_test", "staff_member_required", "superuser_required",
    "permission_required_or_403", "permission_classes", "authentication_classes", "login_not_required",
    "LoginRequiredMixin", "PermissionRequiredMixin", "UserPassesTestMixin", "SuperuserRequiredMixin",
    "StaffuserRequiredMixin", "GroupRequiredMixin", "MultiplePermissionsRequiredMixin", "AccessMixin",
    "BasePermission", "IsAuthenticated", "AllowAny", "IsAdminUser", "DjangoModelPermissions",
    "IsAuthenticatedOrReadOnly", "DjangoObjectPermissions"})


def _guarding_class(code: ProjectCode, name: str) -> bool:
    """A project class (by name) that guards: a BasePermission, a mixin whose dispatch()/test_func()
    checks the user, or a library class that authenticates."""
    from checks.facts.libraries import library_class

    for q in code.by_name.get(name, []):
        info = code.classes[q]
        if info.guard_level or {"test_func", "has_permission", "has_object_permission"} & set(info.methods) or \
                code.inherits(q, lambda b: b.rsplit(".", 1)[-1] in _KNOWN_GUARDS):
            return True
        if any((lib := library_class(a)) is not None and lib.auth for a in code.ancestors(q)):
            return True
    return False


def _resolved(code: ProjectCode | None, name: str) -> bool:
    """The project defines `name` (a class or a decorator): wardgate has read it."""
    return code is not None and (name in code.by_name or any(q.rsplit(".", 1)[-1] == name for q in code.decorators))


def _perm_items(tree: ast.Module, vocab: Vocabulary | None, code: ProjectCode | None) -> dict[str, list[tuple[str, list[int]]]]:
    """Per symbol (qualname / setting), the authorization-relevant pieces as (text, lines)."""
    extra = set(vocab.permission_decorators + vocab.authentication_decorators + vocab.permission_mixins
                + vocab.permission_classes) if vocab else set()
    project_decos = {q.rsplit(".", 1)[-1] for q, kind in (code.decorators if code else {}).items() if kind}

    def relevant(expr: ast.expr) -> bool:
        """Access control by the project model's facts: a known guard, a project decorator or class
        that guards, a library class that authenticates. A name wardgate cannot resolve counts when
        it reads like access control (it may guard); a resolved one named so but guarding nothing
        (`AuthoredMixin`) does not."""
        text = ast.unparse(expr)
        names = [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(expr)
                 if isinstance(n, (ast.Name, ast.Attribute))]
        for name in names:
            if name in _KNOWN_GUARDS or name in project_decos or any(
                    text.startswith(e) or name == e.rsplit(".", 1)[-1] for e in extra):
                return True
            if code is not None and _guarding_class(code, name):
                return True
        return any(_AUTH_WORDS.search(n) and not _resolved(code, n) for n in names[:1])

    out: dict[str, list[tuple[str, list[int]]]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                q = prefix + stmt.name
                items = [(f"@{ast.unparse(d)}", span(d)) for d in stmt.decorator_list if relevant(d)]
                if stmt.name in _PERM_METHODS:
                    items.append((ast.dump(ast.Module(body=stmt.body, type_ignores=[])),
                                  span(stmt)))
                if items:
                    out[q] = [*items, ("def", [stmt.lineno])]
            elif isinstance(stmt, ast.ClassDef):
                q = prefix + stmt.name
                items = [(f"base {ast.unparse(b)}", span(b)) for b in stmt.bases if relevant(b)]
                items += [(f"@{ast.unparse(d)}", span(d)) for d in stmt.decorator_list if relevant(d)]
                if any(ast.unparse(b).endswith("BasePermission") for b in stmt.bases):
                    items.append((ast.dump(stmt), span(stmt)))
                for s in stmt.body:
                    targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(
                        s, ast.AnnAssign) and s.value is not None else []
                    if any(isinstance(t, ast.Name) and t.id in _PERM_ATTRS for t in targets):
                        items.append((ast.unparse(s), span(s)))
                if items:
                    out[q] = [*items, ("class", [stmt.lineno])]
                visit(stmt.body, q + ".")
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and not prefix:
                text = ast.unparse(stmt)
                for key in _PERM_SETTINGS:
                    if key in text:
                        out.setdefault(f"settings {key}", []).append((text, span(stmt)))

    visit(tree.body, "")
    return out


def permission_triggers(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    vocab, code = ctx.vocab, ctx.code
    now = _perm_items(new, vocab, code)
    before = _perm_items(old, vocab, code) if old is not None else {}
    out: list[Trigger] = []
    for sym, items in now.items():
        old_items = before.get(sym)
        if old_items is None and fc.old_path is not None and not sym.startswith("settings") and not any(
                t.startswith(("Module(", "ClassDef(")) for t, _ in items):
            continue  # a new view with its own decorators is not an edit of authorization
        old_texts = {t for t, _ in old_items or []}
        new_texts = {t for t, _ in items}
        if old_items is not None and old_texts == new_texts:
            continue
        added = [(t, ls) for t, ls in items if t not in old_texts and t not in ("def", "class")]
        removed = sorted(t for t in old_texts - new_texts if not t.startswith(("Module(", "ClassDef(")))
        lines = sorted({n for _, ls in added for n in (ls if len(ls) < 40 else ls[:1])} or
                       {n for t, ls in items if t in ("def", "class") for n in ls})
        desc = _describe_perm(sym, added, removed, old_items is None)
        out.append(Trigger("permission", fc.path, lines, desc, symbol=sym,
                           data={"added": [t for t, _ in added if not t.startswith(("Module(", "ClassDef("))],
                                 "removed": removed, "new": old_items is None}))
    for sym, items in before.items():
        if sym not in now:
            out.append(Trigger("permission", fc.path, sorted(fc.lines)[:1],
                               f"`{sym}` and its authorization ({_short(items)}) removed", symbol=sym,
                               data={"added": [], "removed": [t for t, _ in items], "new": False}))
    return out


def _short(items: list[tuple[str, list[int]]]) -> str:
    texts = [t for t, _ in items if t not in ("def", "class") and not t.startswith(("Module(", "ClassDef("))]
    return ", ".join(f"`{t}`" for t in texts[:3]) or "its permission logic"


def _describe_perm(sym: str, added: list[tuple[str, list[int]]], removed: list[str], new: bool) -> str:
    if sym.startswith("settings"):
        return f"REST framework {sym.split()[1]} changed"
    parts = []
    shown_added = [t for t, _ in added if not t.startswith(("Module(", "ClassDef("))]
    if shown_added:
        parts.append("adds " + ", ".join(f"`{t}`" for t in shown_added[:3]))
    if removed:
        parts.append("removes " + ", ".join(f"`{t}`" for t in removed[:3]))
    if not parts:
        parts.append("new permission logic" if new else "changes its permission logic")
    return f"authorization of `{sym}`: " + "; ".join(parts)
