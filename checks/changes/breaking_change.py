"""WG806: a public signature, URL route, API field or model field changed while its users did not."""
from __future__ import annotations

import ast
import re

from ..finding import Category, Confidence, Finding, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor
from .destructive_migration import is_migration

# Methods the framework calls (overrides), not the project's callers.
_HOOKS = frozenset({"get", "post", "put", "patch", "delete", "save", "clean", "get_queryset", "get_object",
                    "get_context_data", "get_serializer_class", "perform_create", "perform_update", "perform_destroy",
                    "create", "update", "list", "retrieve", "destroy", "has_permission", "has_object_permission",
                    "validate", "to_representation", "to_internal_value", "form_valid", "dispatch", "setUp",
                    "handle", "add_arguments", "ready", "process_request", "process_view", "process_response"})
_ROUTE_CALLS = frozenset({"path", "re_path", "url"})
# Tests are the change author's to update: they are not the callers or clients a break strands.
_TEST = re.compile(r"(^|/)(tests?/|tests?\.py$|test_[^/]*\.py$|[^/]*_tests?\.py$|conftest\.py$)")


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], set[str], set[str], bool]:
    """(positional names, all names, required names, takes **kwargs)."""
    a = fn.args
    positional = [x.arg for x in [*a.posonlyargs, *a.args]]
    defaults = len(a.defaults)
    required = set(positional[: len(positional) - defaults] if defaults else positional)
    required |= {k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is None}
    names = set(positional) | {k.arg for k in a.kwonlyargs}
    if positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
        required -= {"self", "cls"}
    return positional, names, required, a.kwarg is not None


def _functions(tree: ast.Module | None) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    if tree is None:
        return out
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            for m in stmt.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"{stmt.name}.{m.name}"] = m
    return out


def _routes(src: SourceFile | None) -> dict[str, tuple[str, str | None, int]]:
    """route string -> (view text, name, line) of urls.py `path()`/`re_path()`/`url()` calls."""
    out: dict[str, tuple[str, str | None, int]] = {}
    if src is None or src.tree is None or "urlpatterns" not in src.text:
        return out
    for n in src.nodes:
        if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", "")) in _ROUTE_CALLS and \
                n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
            name = next((k.value.value for k in n.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)
                         and isinstance(k.value.value, str)), None)
            view = ast.unparse(n.args[1]) if len(n.args) > 1 else ""
            out[n.args[0].value] = (view, name, n.lineno)
    return out


def _api_fields(src: SourceFile | None) -> dict[str, tuple[list[str], int]]:
    out: dict[str, tuple[list[str], int]] = {}
    if src is None or src.tree is None or "Meta" not in src.text:
        return out
    for node in src.nodes:
        if isinstance(node, ast.ClassDef):
            for meta in (s for s in node.body if isinstance(s, ast.ClassDef) and s.name == "Meta"):
                for s in meta.body:
                    if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "fields"
                                                         for t in s.targets) and isinstance(s.value, (ast.List, ast.Tuple)):
                        out[node.name] = ([e.value for e in s.value.elts
                                           if isinstance(e, ast.Constant) and isinstance(e.value, str)], s.lineno)
    return out


class BreakingChange(ChangeRule):
    """## What it does
    Reports a change that breaks code or clients the change did not touch:
    - a public function or method whose signature lost a parameter, renamed or reordered a
      positional one, or gained a required one, while unchanged files in the tree still call it;
    - a URL route removed or renamed in a urls.py (clients and `reverse()` calls break);
    - a field removed from a serializer's or form's `Meta.fields` (API clients break);
    - a model field removed or retyped while unchanged code still uses it, reported on the migration
      that does it.

    Framework hooks (`save`, `get_queryset`, `perform_create`...) and private names are skipped, and
    tests do not count as users (the change's author updates them).

    ## Why is this bad?
    Hospital systems are integrated: an interface engine, a mobile app or another team's module calls
    these names and routes. A break shows up in production, at the other end.

    ## Example
    ```python
    def dose_for(patient, drug, route):   # `route` added, required; callers pass two arguments
        ...
    ```

    Use instead:
    ```python
    def dose_for(patient, drug, route="oral"):
        ...
    ```
    """

    code = "WG806"
    name = "breaking-change"
    category = Category.QUALITY
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    summary = "A public signature, URL route, API field or model field changed while its users did not."

    VALID = (
        Refactor(  # an optional parameter added: callers keep working
            before="""\
            def dose_for(patient, drug):
                return 1
            """,
            after="""\
            def dose_for(patient, drug, route='oral'):
                return 1
            """, path="pharmacy/dosing.py",
            files=(("pharmacy/orders.py", """\
                from .dosing import dose_for


                def order(p, d):
                    return dose_for(p, d)
                """),)),
    )
    INVALID = (
        Dangerous(
            before="""\
            def dose_for(patient, drug):
                return 1
            """,
            after="""\
            def dose_for(patient, drug, route):
                return 1
            """, line=1, path="pharmacy/dosing.py",
            files=(("pharmacy/orders.py", """\
                from .dosing import dose_for


                def order(p, d):
                    return dose_for(p, d)
                """),)),
        Dangerous(
            before="""\
            from django.urls import path
            from . import views

            urlpatterns = [
                path("patients/", views.patient_list, name="patient-list"),
                path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
            ]
            """,
            after="""\
            from django.urls import path
            from . import views

            urlpatterns = [
                path("patients/", views.patient_list, name="patient-list"),
                path("patient/<int:pk>/", views.patient_detail, name="patient-detail"),
            ]
            """, line=6, path="clinic/urls.py"),
    )

    def run(self) -> list[Finding]:
        changed = set(self.changes.deltas)
        for d in self.changes.deltas.values():
            src = d.after
            if src is None or d.before is None or src.looks_like_test or is_migration(d.path):
                continue
            self._signatures(d, changed)
            self._routes(d)
            self._api_fields(d)
        self._model_fields()
        return self.findings

    def _signatures(self, d: FileDelta, changed: set[str]) -> None:
        before = _functions(d.before.tree if d.before else None)
        for qual, fn in _functions(d.after.tree if d.after else None).items():
            old = before.get(qual)
            name = fn.name
            if old is None or name.startswith("_") or name in _HOOKS:
                continue
            o_pos, o_names, o_req, _ = _signature(old)
            n_pos, n_names, n_req, n_kwargs = _signature(fn)
            if (o_pos[:1] or n_pos[:1]) == ["request"]:
                continue  # a view: called by the URL resolver
            problems = []
            removed = sorted(o_names - n_names - {"self", "cls"})
            if removed and not n_kwargs:
                problems.append("removed " + ", ".join(f"`{r}`" for r in removed))
            added = sorted(n_req - o_req - o_names)
            if added:
                problems.append("new required " + ", ".join(f"`{a}`" for a in added))
            common = [p for p in o_pos if p in n_pos]
            if common != [p for p in n_pos if p in o_pos]:
                problems.append("positional parameters reordered")
            if not problems:
                continue
            callers = self._callers(name, method="." in qual, skip=changed | {d.path})
            if not callers:
                continue
            shown = ", ".join(callers[:3]) + (f" and {len(callers) - 3} more" if len(callers) > 3 else "")
            self.report(d, fn.lineno, f"`{qual}` signature changed ({'; '.join(problems)}): "
                        f"({', '.join(o_pos)}) → ({', '.join(n_pos)}); unchanged callers: {shown}",
                        properties={"callers": callers})

    def _callers(self, name: str, *, method: bool, skip: set[str]) -> list[str]:
        pattern = re.compile(rf"\.{re.escape(name)}\s*\(" if method else rf"(?<![\w.]){re.escape(name)}\s*\(|"
                             rf"\.{re.escape(name)}\s*\(")
        out = []
        for rel in self.changes.files:
            if rel in skip or not rel.endswith(".py") or _TEST.search(rel):
                continue
            text = self.changes.read_head(rel)
            if text and name in text:
                for i, line in enumerate(text.splitlines(), 1):
                    if pattern.search(line) and not line.lstrip().startswith(("def ", "async def ")):
                        out.append(f"{rel}:{i}")
                        break
        return out

    def _routes(self, d: FileDelta) -> None:
        before, after = _routes(d.before), _routes(d.after)
        if not before:
            return
        by_view = {v: r for r, (v, _, _) in after.items()}
        for route, (view, name, line) in before.items():
            if route in after:
                continue
            moved = by_view.get(view)
            if moved is not None:
                self.report(d, after[moved][2], f"URL route renamed: `{route}` → `{moved}` ({view}); clients of "
                            f"the old URL break", properties={"before": route, "after": moved})
            else:
                self.report(d, line, f"URL route removed: `{route}`{f' (name {name!r})' if name else ''} → gone",
                            properties={"before": route, "after": None})

    def _api_fields(self, d: FileDelta) -> None:
        before, after = _api_fields(d.before), _api_fields(d.after)
        for cls, (fields, line) in after.items():
            if cls not in before:
                continue
            gone = [f for f in before[cls][0] if f not in fields]
            if gone:
                self.report(d, line, f"`{cls}` no longer returns {', '.join(f'`{g}`' for g in gone)}: "
                            f"[{', '.join(before[cls][0])}] → [{', '.join(fields)}]; API clients break",
                            properties={"removed": gone})

    def _model_fields(self) -> None:
        base, head = self.changes.models("base"), self.changes.models("head")
        if base is None or head is None:
            return
        for q in sorted(base.django & head.django):
            old, new = base.models[q].fields, head.models[q].fields
            for fname, f in old.items():
                nf = new.get(fname)
                if nf is not None and nf.kind == f.kind:
                    continue
                what = f"{fname} ({f.kind}) → " + ("removed" if nf is None else nf.kind)
                users = self._field_users(fname)
                if not users:
                    continue  # nothing outside the change reads it: nothing breaks
                d, line = self._migration_for(last_part(q), fname)
                if d is None:
                    d = self.changes.deltas.get(head.models[q].path)
                    line = head.models[q].line
                if d is not None:
                    self.report(d, line, f"model field `{last_part(q)}.{what}`; unchanged code still uses it: "
                                f"{', '.join(users[:3])}", properties={"model": q, "field": fname, "users": users})

    def _field_users(self, fname: str) -> list[str]:
        """Unchanged non-migration files that read `fname` (`.allergies`, `"allergies"`, `allergies=`)."""
        pattern = re.compile(rf"\.{fname}\b|[\"']{fname}[\"']|\b{fname}(__\w+)?\s*=")
        out = []
        for rel in self.changes.files:
            if rel in self.changes.deltas or not rel.endswith(".py") or is_migration(rel) or _TEST.search(rel):
                continue
            text = self.changes.read_head(rel)
            if text and fname in text:
                for i, line in enumerate(text.splitlines(), 1):
                    if pattern.search(line):
                        out.append(f"{rel}:{i}")
                        break
        return out

    def _migration_for(self, model: str, fname: str) -> tuple[FileDelta | None, int]:
        for d in self.changes.deltas.values():
            if not is_migration(d.path) or d.after is None or d.after.tree is None:
                continue
            for n in walk(d.after.tree):
                if isinstance(n, ast.Call) and getattr(n.func, "attr", "") in ("RemoveField", "AlterField") and \
                        fname in ast.unparse(n) and model.lower() in ast.unparse(n).lower():
                    return d, n.lineno
        return None, 0
