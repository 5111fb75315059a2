"""WG802: an endpoint's effective access got wider than at the base."""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from ..facts.guards import LEVEL_NAMES, NONE
from ..facts.views import Analyzer, View
from ..finding import Category, Confidence, Finding, Severity
from ..names import ImportMap, last_part
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor

if TYPE_CHECKING:
    from ..facts.django_code import ProjectCode
    from ..facts.django_models import ModelIndex
    from ..source import SourceFile
    from ..vocabulary import Vocabulary

_EXEMPT = re.compile(r"(EXEMPT|PUBLIC|IGNORE|OPEN|WHITELIST|ALLOWLIST|ANONYMOUS)\w*(URL|PATH|VIEW|ROUTE|NAME)S?$|"
                     r"^LOGIN_REQUIRED_IGNORE", re.IGNORECASE)


_ViewNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _views(d: FileDelta, side: str, rule: AuthorizationWeakened) -> dict[str, tuple[View, _ViewNode]]:
    src = d.before if side == "base" else d.after
    imports = d.imports_before if side == "base" else d.imports_after
    models, code = rule.changes.models(side), rule.changes.code(side)
    if src is None or src.tree is None or imports is None or models is None or code is None:
        return {}
    an = Analyzer(src.tree, imports, models, code, rule.changes.vocab)
    out: dict[str, tuple[View, _ViewNode]] = {}
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            view = an.function_view(stmt)
        elif isinstance(stmt, ast.ClassDef):
            view = an.class_view(stmt)
        else:
            continue
        if view is None:
            continue
        out[stmt.name] = (view, stmt)
        if isinstance(stmt, ast.ClassDef):  # DRF `@action(permission_classes=[...])`: its own access
            for m in stmt.body:
                level = _action_level(m, an)
                if level is not None and isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"{stmt.name}.{m.name}"] = (View(node=m, drf=True, reads=level, writes_level=level,
                                                         writes=view.writes, models=view.models), m)
    return out


def _action_level(m: ast.stmt, an: Analyzer) -> int | None:
    if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for d in m.decorator_list:
        if isinstance(d, ast.Call) and last_part(an.imports.qualname(d.func) or "") == "action":
            for kw in d.keywords:
                if kw.arg == "permission_classes" and isinstance(kw.value, (ast.List, ast.Tuple)):
                    names = [an.imports.qualname(e.func if isinstance(e, ast.Call) else e) or "" for e in kw.value.elts]
                    return an.perm_levels(names)[0] if names else NONE
    return None


def _level_text(view: View) -> str:
    r = LEVEL_NAMES[view.reads]
    return r if not view.writes or view.writes_level == view.reads else f"{r} (writes: {LEVEL_NAMES[view.writes_level]})"


def _perm_text(node: ast.AST) -> str:
    """What the view's own code says about access, for the message (`permission_classes = [AllowAny]`)."""
    parts = []
    for n in walk(node):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "permission_classes" for t in n.targets):
            parts.append(ast.unparse(n.value))
            break
    return parts[0] if parts else ""


class AuthorizationWeakened(ChangeRule):
    """## What it does
    Compares the effective access of every endpoint in the changed files at the base and the head,
    as the project model resolves it (decorators, mixins, DRF `permission_classes` and the project's
    `DEFAULT_PERMISSION_CLASSES`, role checks in the view, urls.py wrappers, login middleware). It
    reports an endpoint whose reads or writes are now open to a wider group (authorized users -> any
    signed-in user -> anyone); a new view or DRF action more open than the other views of its module or
    class; login middleware removed from `MIDDLEWARE`; an exempt list of that middleware grown; and a
    weaker `DEFAULT_PERMISSION_CLASSES`; and a view whose queryset stopped filtering rows by the
    requesting user.

    ## Why is this bad?
    `IsAuthenticated` swapped for `AllowAny`, or one new action opened to anonymous users, is a
    one-line change that exposes patient records to the internet. A reviewer sees a plausible line;
    the access it grants is decided far away (settings, base classes, middleware).

    Severity: high; critical when patient data becomes readable or writable by anyone.

    ## Example
    ```python
    class PatientViewSet(viewsets.ModelViewSet):
        permission_classes = [AllowAny]  # was [IsAuthenticated]
    ```

    Use instead:
    ```python
    class PatientViewSet(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated, IsClinician]
    ```
    """

    code = "WG802"
    name = "authorization-weakened"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 285
    summary = "An endpoint's effective access got wider than at the base."

    VALID = (
        Refactor(  # the view moved its guard from a decorator to a mixin: same access
            before="""\
            from django.contrib.auth.decorators import login_required
            from .models import Patient


            @login_required
            def patient_list(request):
                return list(Patient.objects.all())
            """,
            after="""\
            from django.contrib.auth.decorators import login_required
            from .models import Patient


            @login_required
            def patient_list(request):
                patients = Patient.objects.all()
                return list(patients)
            """,
            path="clinic/views.py",
            files=(("clinic/models.py", """\
                from django.db import models


                class Patient(models.Model):
                    mrn = models.CharField(max_length=20)
                """),)),
    )
    INVALID = (
        Dangerous(
            before="""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from .models import Patient


            class PatientViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                permission_classes = [IsAuthenticated]
            """,
            after="""\
            from rest_framework import viewsets
            from rest_framework.permissions import AllowAny
            from .models import Patient


            class PatientViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                permission_classes = [AllowAny]
            """,
            line=8, path="clinic/api.py",
            files=(("clinic/models.py", """\
                from django.db import models


                class Patient(models.Model):
                    mrn = models.CharField(max_length=20)
                """),)),
        Dangerous(
            before="""\
            MIDDLEWARE = [
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.auth.middleware.LoginRequiredMiddleware",
            ]
            """,
            after="""\
            MIDDLEWARE = [
                "django.contrib.auth.middleware.AuthenticationMiddleware",
            ]
            """, line=2, path="hospital/settings.py"),
        Dangerous(
            before="""\
            LOGIN_EXEMPT_URLS = [
                r"^accounts/login/$",
            ]
            """,
            after="""\
            LOGIN_EXEMPT_URLS = [
                r"^accounts/login/$",
                r"^api/patients/",
            ]
            """, line=3, path="hospital/settings.py"),
    )

    def run(self) -> list[Finding]:
        for d in self.changes.deltas.values():
            src = d.after or d.before
            if src is None or src.looks_like_test or src.looks_like_migration:
                continue
            self._endpoints(d)
            self._exempt_lists(d)
        self._middleware()
        self._defaults()
        return self.findings

    def _endpoints(self, d: FileDelta) -> None:
        before, after = _views(d, "base", self), _views(d, "head", self)
        for name, (new, node) in after.items():
            old_pair = before.get(name)
            if new.unknown:
                continue
            if old_pair is None:
                self._new_view(d, name, new, node, before, after)
                continue
            old, old_node = old_pair
            if old.unknown:
                continue
            wider_reads = new.reads < old.reads
            wider_writes = new.writes and old.writes and new.writes_level < old.writes_level
            if old.restricted and not new.restricted and new.models and not (wider_reads or wider_writes):
                self.report(d, node.lineno, f"`{name}` no longer restricts rows to the requesting user: "
                            f"own records → every {', '.join(last_part(m) for m in new.models)} row for "
                            f"{_level_text(new)}", end_line=node.end_lineno, severity=Severity.HIGH,
                            properties={"before": "rows restricted to the user", "after": "all rows"})
                continue
            if not (wider_reads or wider_writes):
                continue
            was, now = _perm_text(old_node), _perm_text(node)
            how = f" ({was} → {now})" if was != now and (was or now) else ""
            patient = ", patient data: " + ", ".join(last_part(m) for m in new.models) if new.models else ""
            lowest = min(new.reads, new.writes_level if new.writes else new.reads)
            severity = Severity.CRITICAL if new.models and lowest == NONE else \
                Severity.HIGH if new.models else Severity.MEDIUM
            self.report(d, node.lineno, f"`{name}` access widened: {_level_text(old)} → {_level_text(new)}"
                        f"{how}{patient}", end_line=node.end_lineno, severity=severity,
                        properties={"before": _level_text(old), "after": _level_text(new)})

    def _new_view(self, d: FileDelta, name: str, new: View, node: _ViewNode,
                  before: dict[str, tuple[View, _ViewNode]], after: dict[str, tuple[View, _ViewNode]]) -> None:
        """A new view or action more open than every sibling that existed before it."""
        owner = name.rpartition(".")[0]
        siblings = [v for n, (v, _) in after.items() if n in before and n != name and not v.unknown
                    and n.rpartition(".")[0] == owner]
        if owner and owner in after:
            siblings.append(after[owner][0])
        if not siblings or not new.models and not any(s.models for s in siblings):
            return
        floor = min(s.reads for s in siblings)
        if new.reads >= floor:
            return
        self.report(d, node.lineno, f"new endpoint `{name}` is open to {LEVEL_NAMES[new.reads]}, its siblings "
                    f"require at least {LEVEL_NAMES[floor]}", end_line=getattr(node, "end_lineno", None),
                    severity=Severity.CRITICAL if new.reads == NONE else Severity.HIGH)

    def _exempt_lists(self, d: FileDelta) -> None:
        old, new = _exempts(d.before), _exempts(d.after)
        for name, (entries, _line) in new.items():
            added = [(e, ln) for e, ln in entries if e not in {x for x, _ in old.get(name, ([], 0))[0]}]
            if name in old and added:
                n_old = len(old[name][0])
                for entry, line in added:
                    self.report(d, line, f"`{name}` grown ({n_old} → {len(entries)} entries): `{entry}` now skips "
                                "the login requirement", severity=Severity.HIGH)

    def _middleware(self) -> None:
        base, head = self.changes.code("base"), self.changes.code("head")
        if base is None or head is None:
            return
        was, now = _login_gates(base, self.changes.vocab), _login_gates(head, self.changes.vocab)
        removed = [m for m in was if m not in now]
        if not removed:
            return
        d, line = self._settings_line("MIDDLEWARE", last_part(removed[0]))
        if d is None:
            return
        still = f"; still installed: {', '.join(last_part(m) for m in now)}" if now else \
            "; every view that relied on it is open to anyone"
        self.report(d, line, f"login middleware removed: {', '.join(last_part(m) for m in removed)} → "
                    f"{'none' if not now else 'gone'}{still}",
                    severity=Severity.CRITICAL if not now else Severity.HIGH,
                    properties={"before": was, "after": now})

    def _defaults(self) -> None:
        base, head, models = self.changes.code("base"), self.changes.code("head"), self.changes.models("head")
        if base is None or head is None or models is None or base.default_perms == head.default_perms:
            return
        old = _default_level(base, models, self.changes.vocab)
        new = _default_level(head, models, self.changes.vocab)
        if new < old:
            d, line = self._settings_line("DEFAULT_PERMISSION_CLASSES")
            if d is not None:
                self.report(d, line, f"DEFAULT_PERMISSION_CLASSES weakened: {LEVEL_NAMES[old]} → {LEVEL_NAMES[new]} "
                            f"for every DRF view without its own permission_classes", severity=Severity.CRITICAL)

    def _settings_line(self, name: str, removed: str | None = None) -> tuple[FileDelta | None, int]:
        """The changed settings file and line: where `removed` was (a removed MIDDLEWARE entry), else the
        line naming the setting."""
        for d in self.changes.deltas.values():
            if d.after is not None and name in d.after.text and d.before is not None and name in d.before.text:
                if removed:
                    for i, text in enumerate(d.before.lines, 1):
                        if removed in text and removed not in d.after.text:
                            return d, d.head_line(i)
                for i, text in enumerate(d.after.lines, 1):
                    if name in text:
                        return d, i
        return None, 0


def _login_gates(code: ProjectCode, vocab: Vocabulary) -> list[str]:
    """Every installed MIDDLEWARE entry that requires login (ProjectCode.login_middleware's test, per entry)."""
    from ..facts.django_code import is_login_middleware
    from ..facts.libraries import library_class

    out = []
    for entry in code.middleware:
        for a in [entry, *code.ancestors(entry)]:
            info, lib = code.lookup(a), library_class(a)
            if is_login_middleware(a, vocab) or (lib is not None and lib.login_middleware) or (
                    info is not None and info.login_gate):
                out.append(entry)
                break
    return out


def _default_level(code: ProjectCode, models: ModelIndex, vocab: Vocabulary) -> int:
    an = Analyzer(ast.Module(body=[], type_ignores=[]), ImportMap(module=""), models, code, vocab)
    return an.default_perms()[0]


def _exempts(src: SourceFile | None) -> dict[str, tuple[list[tuple[str, int]], int]]:
    out: dict[str, tuple[list[tuple[str, int]], int]] = {}
    if src is None or src.tree is None:
        return out
    for stmt in src.tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.List, ast.Tuple)):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and _EXEMPT.search(t.id):
                    entries = [(e.value, e.lineno) for e in stmt.value.elts
                               if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                    out[t.id] = (entries, stmt.lineno)
    return out
