"""Severity in context: a generic tool finding weighed with the project model.

A tool rates a pattern without knowing where it sits. wardgate knows which endpoints serve patient
data and who may call them, so a few context rules raise a finding's severity (never lower it), and
say why in the message and in `properties.severity_context`:

| rule | finding | context | severity |
|---|---|---|---|
| `sql-from-request-in-patient-endpoint` | SQL built from strings: bandit `B608`, ruff `S608` | the statement uses request data (`request.GET`, `request.data`, URL parameters, or names assigned from them) inside an endpoint that reads or writes a patient-data model, through the ORM or SQL naming its table | high; critical when the endpoint is open to anyone |

The endpoint and its effective access come from checks/facts/views.py (the same analysis as the
permission checks); an endpoint whose access cannot be resolved keeps the tool's severity.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path

from .facts.django_code import ProjectCode
from .facts.django_models import ModelIndex
from .facts.guards import LEVEL_NAMES, NONE
from .facts.querysets import default_table
from .facts.views import Analyzer, View
from .finding import Finding, Severity
from .index import ProjectIndex
from .names import ImportMap, last_part
from .source import DEFAULT_MAX_FILE_SIZE, SourceFile, load_source
from .vocabulary import Vocabulary

SQL_RULES = frozenset({"bandit:B608", "ruff:S608"})
_REQUEST_DATA = frozenset({"GET", "POST", "data", "query_params", "body", "COOKIES", "FILES", "META", "headers",
                           "content_params", "path", "path_info"})


def raise_in_context(root: Path, findings: Sequence[Finding], project: ProjectIndex, vocab: Vocabulary,
                     max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[Finding]:
    """The findings, with the severity of those a context rule applies to raised."""
    models: ModelIndex | None = project.fact("django_models")
    code: ProjectCode | None = project.fact("django_code")
    if models is None or code is None or not models.patient:
        return list(findings)
    per_file: dict[str, tuple[SourceFile, Analyzer] | None] = {}
    out = []
    for f in findings:
        if f.rule_id not in SQL_RULES or f.severity.at_least(Severity.HIGH):
            out.append(f)
            continue
        if f.path not in per_file:
            src = load_source(root, f.path, max_size)
            per_file[f.path] = None
            if isinstance(src, SourceFile) and src.tree is not None and not src.looks_like_test:
                imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
                per_file[f.path] = (src, Analyzer(src.tree, imports, models, code, vocab, project.fact("flows")))
        loaded = per_file[f.path]
        out.append(_sql_in_patient_endpoint(f, *loaded) if loaded is not None else f)
    return out


def _sql_in_patient_endpoint(f: Finding, src: SourceFile, an: Analyzer) -> Finding:
    assert src.tree is not None
    found = _endpoint_at(src.tree, an, f.start_line)
    if found is None:
        return f
    view, fn, name = found
    stmt = _statement_at(fn, f.start_line)
    served = list(view.models) or (_sql_models(fn, an.models) if stmt is not None else [])
    if view.unknown or not served:
        return f
    source = _request_source(fn, stmt) if stmt is not None else None
    if source is None:
        return f
    lowest = min(view.reads, view.writes_level if view.writes else view.reads)
    severity = Severity.CRITICAL if lowest == NONE else Severity.HIGH
    why = (f"SQL built from request data ({source}) in endpoint `{name}` serving patient data "
           f"({', '.join(last_part(m) for m in served)}), open to {LEVEL_NAMES[lowest]}")
    return f.model_copy(update={
        "severity": severity,
        "message": f"{f.message} [{f.severity.value} → {severity.value} in context: {why}]",
        "properties": {**f.properties, "severity_context": {"rule": "sql-from-request-in-patient-endpoint",
                                                            "from": f.severity.value, "why": why}}})


_SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?(\w+)", re.IGNORECASE)


def _sql_models(fn: ast.AST, models: ModelIndex) -> list[str]:
    """Patient-data models whose tables the function's SQL strings name (`FROM clinic_patient`)."""
    tables = {(models.models[q].db_table or default_table(q)).lower(): q for q in models.django}
    found = []
    for n in ast.walk(fn):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            for m in _SQL_TABLE.finditer(n.value):
                q = tables.get(m.group(1).lower())
                if q in models.patient and q not in found:
                    found.append(q)
    return found


def _endpoint_at(tree: ast.Module, an: Analyzer, line: int
                 ) -> tuple[View, ast.FunctionDef | ast.AsyncFunctionDef, str] | None:
    """The view (function, or method of a class view) whose body holds `line`."""
    for stmt in tree.body:
        if not (stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno)):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            view = an.function_view(stmt)
            return (view, stmt, stmt.name) if view is not None else None
        if isinstance(stmt, ast.ClassDef):
            view = an.class_view(stmt)
            if view is None:
                return None
            for m in stmt.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                        m.lineno <= line <= (m.end_lineno or m.lineno):
                    return view, m, f"{stmt.name}.{m.name}"
    return None


def _statement_at(fn: ast.AST, line: int) -> ast.stmt | None:
    best = None
    for n in ast.walk(fn):
        if (isinstance(n, ast.stmt) and n is not fn and n.lineno <= line <= (n.end_lineno or n.lineno)
                and (best is None or n.lineno >= best.lineno)):
            best = n
    return best


def _request_source(fn: ast.FunctionDef | ast.AsyncFunctionDef, stmt: ast.stmt) -> str | None:
    """How request data reaches `stmt`: `request.GET` directly, a URL parameter, or a local assigned
    from either (followed to a fixed point). None when it does not."""
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    tainted: dict[str, str] = {p: f"URL parameter `{p}`" for p in params if p not in ("self", "cls", "request")}
    if fn.args.kwarg is not None:
        tainted[fn.args.kwarg.arg] = "URL parameters"

    def direct(node: ast.AST) -> str | None:
        for n in ast.walk(node):
            if isinstance(n, ast.Attribute) and n.attr in _REQUEST_DATA and _is_request(n.value):
                return f"{ast.unparse(n)}"
            if isinstance(n, ast.Name) and n.id in tainted:
                return tainted[n.id]
        return None

    assigns = [n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))
               and n.value is not None]
    changed = True
    while changed:
        changed = False
        for a in assigns:
            src = direct(a.value)  # type: ignore[arg-type]
            if src is None:
                continue
            targets = a.targets if isinstance(a, ast.Assign) else [a.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and n.id not in tainted:
                        tainted[n.id] = src
                        changed = True
    return direct(stmt)


def _is_request(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "request") or (
        isinstance(node, ast.Attribute) and node.attr == "request" and isinstance(node.value, ast.Name)
        and node.value.id == "self")
