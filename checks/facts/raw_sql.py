"""Raw SQL in the project: what each statement does and to which tables, read with a real SQL parser.

Call sites: `cursor.execute(sql, ...)` / `executemany`, `Model.objects.raw(sql)`, `RawSQL(sql, ...)` and
`QuerySet.extra(select=..., where=..., tables=...)`. The SQL text is rebuilt from the Python expression:
string literals, `+` and implicit concatenation, f-strings, `%`-formatting and `str.format()` (the
interpolated parts become a marker, so a literal table name still resolves), local variables (`sql = ...;
sql += ...`), module constants, and constants imported from another module of the project (resolved when
the facts are merged). sqlglot parses the text (PostgreSQL, MySQL, SQLite, T-SQL, ClickHouse, then its
generic dialect) and every data-changing statement is found, including those inside CTEs: UPDATE, INSERT (and
upserts), DELETE, MERGE, TRUNCATE. Tables map to models through `Meta.db_table` and Django's
`<app_label>_<model>` default (`querysets.Scope.table_model`).

What cannot be resolved is a value, not a guess: SQL that looks like SQL but does not parse, and a write whose
table name is built at run time, are `unknown` (listed by `wardgate facts` and the WG020 note; no gating
finding rests on them). SQL built entirely at run time (a parameter) is recorded as not resolved.
"""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from ..names import ImportMap
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "raw_sql"
DYN = "__wg_dyn__"  # stands for a part of the SQL text computed at run time
WRITE_KINDS = ("UPDATE", "INSERT", "DELETE", "MERGE", "TRUNCATE")
_CALLS = frozenset({"execute", "executemany", "raw", "RawSQL", "extra"})
_PREFILTER = re.compile(r"\.(?:execute|executemany|raw|extra)\(|RawSQL\(")
_SQL_START = re.compile(
    r"^(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:\(\s*)*(?:WITH|SELECT|UPDATE|INSERT|DELETE|MERGE|TRUNCATE|REPLACE|UPSERT|COPY|CREATE|ALTER|DROP|SET|"
    r"CALL|EXEC|EXECUTE|DO|BEGIN|VALUES|SHOW|EXPLAIN|LOCK|GRANT|REVOKE|VACUUM|ANALYZE|REFRESH|COMMENT)\b",
    re.IGNORECASE | re.DOTALL)
_SQLISH = re.compile(r"\b(?:SELECT|UPDATE|INSERT|DELETE|MERGE|TRUNCATE|REPLACE)\b", re.IGNORECASE)
# Statements sqlglot keeps as an opaque command that may still change rows.
_OPAQUE_WRITES = frozenset({"REPLACE", "UPSERT", "COPY", "CALL", "EXEC", "EXECUTE", "DO"})
_PY_FORMAT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_DB_PARAM = re.compile(r"%(?:\([^)]*\))?s|(?<![\w?])\?(?![\w?])")
_BRACES = re.compile(r"\{[^{}]*\}")
_DIALECTS = ("postgres", "mysql", "sqlite", "tsql", "clickhouse", None)


@dataclass(frozen=True)
class SqlWrite:
    kind: str  # UPDATE | INSERT | DELETE | MERGE | TRUNCATE
    table: str  # unqualified, lower case


@dataclass(frozen=True)
class SqlParse:
    writes: tuple[SqlWrite, ...] = ()
    unknown: str | None = None  # why the statement's effect is not known


@dataclass(frozen=True)
class RawSqlSite:
    line: int
    col: int
    end_line: int
    function: str | None  # qualname of the enclosing function or method
    via: str  # "cursor.execute", "raw()", "RawSQL", "extra()"
    writes: tuple[SqlWrite, ...] = ()
    unknown: str | None = None
    resolved: bool = True  # False: the SQL is built at run time (a parameter, an attribute)
    ref: str | None = None  # an imported constant, resolved at merge


@functools.cache
def _quiet_sqlglot() -> None:
    """Once, with sqlglot (and logging, which only it needs): "falling back to parsing as a Command" is ours to
    judge, not a warning for the user."""
    import logging

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


@functools.lru_cache(maxsize=4096)
def parse_sql(text: str, fragment: bool = False) -> SqlParse:
    """The data-changing statements of `text`; `fragment`: an expression or clause (RawSQL, extra())."""
    import sqlglot
    from sqlglot import exp
    _quiet_sqlglot()
    if not fragment and not _SQL_START.match(text):
        return SqlParse()  # not SQL (a GraphQL query, a shell command)
    text = _DB_PARAM.sub(":p", text)  # the driver's parameters (%s, %(name)s, ?): older sqlglot rejects %s
    candidates = [f"SELECT {text}", f"SELECT 1 WHERE {text}"] if fragment and not _SQL_START.match(text) else [text]
    for dialect in _DIALECTS:
        for candidate in candidates:
            try:
                statements = sqlglot.parse(candidate, read=dialect)
            except Exception:  # noqa: BLE001, S112 - sqlglot raises ParseError/TokenError and, on odd input, others:
                continue  # the next dialect may read it; none does -> unknown, reported below
            return _writes([s for s in statements if s is not None], exp)
    return SqlParse(unknown="SQL wardgate could not parse")


def _writes(statements: list[Any], exp: Any) -> SqlParse:
    out: list[SqlWrite] = []
    for stmt in statements:
        if isinstance(stmt, exp.Command):
            word = str(stmt.this or "").upper()
            if word in _OPAQUE_WRITES:
                return SqlParse(unknown=f"a {word} statement wardgate cannot take apart")
            continue
        for node in stmt.walk():
            kind, targets = _targets(node, exp)
            for t in targets:
                if t is None:
                    continue  # MERGE's `WHEN MATCHED THEN UPDATE SET ...`: the MERGE's own table
                name = t.name.lower() if isinstance(t, exp.Table) else ""
                if not name or DYN in name:
                    return SqlParse(writes=tuple(out), unknown=f"{kind} of a table named at run time")
                out.append(SqlWrite(kind, name))
    return SqlParse(writes=tuple(dict.fromkeys(out)))


def _targets(node: Any, exp: Any) -> tuple[str, list[Any]]:
    if isinstance(node, exp.Update):
        return "UPDATE", [node.this]
    if isinstance(node, exp.Insert):
        this = node.this
        return "INSERT", [this.this if isinstance(this, exp.Schema) else this]
    if isinstance(node, exp.Delete):
        tables = node.args.get("tables") or [node.this]
        return "DELETE", list(tables)
    if isinstance(node, exp.Merge):
        return "MERGE", [node.this]
    if isinstance(node, exp.TruncateTable):
        return "TRUNCATE", list(node.expressions)
    return "", []


# --- rebuilding the SQL text from Python -------------------------------------------------------------------


@dataclass
class _Env:
    imports: ImportMap
    module: dict[str, ast.expr]  # module-level constants
    local: dict[str, list[ast.stmt]] = field(default_factory=dict)  # assignments in the function, in order


def _text(node: ast.AST | None, env: _Env, depth: int = 0) -> str | None:
    """The SQL text of an expression; None when it is built at run time."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            elif isinstance(v, ast.FormattedValue):
                inner = _text(v.value, env, depth + 1)
                parts.append(inner if inner is not None and not v.format_spec else DYN)
            else:
                parts.append(DYN)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, env, depth + 1), _text(node.right, env, depth + 1)
        if left is None and right is None:
            return None
        return (left if left is not None else DYN) + (right if right is not None else DYN)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "UPDATE %s SET ..." % table
        left = _text(node.left, env, depth + 1)
        return _PY_FORMAT.sub(DYN, left.replace("%%", "%")) if left is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        meth = node.func.attr
        if meth == "format":  # "UPDATE {t} SET".format(t=...)
            base = _text(node.func.value, env, depth + 1)
            return _BRACES.sub(DYN, base).replace("{{", "{").replace("}}", "}") if base is not None else None
        if meth in ("strip", "lstrip", "rstrip", "dedent", "SQL"):  # textwrap.dedent(...), psycopg's sql.SQL(...)
            arg: ast.expr = node.args[0] if meth in ("dedent", "SQL") and node.args else node.func.value
            return _text(arg, env, depth + 1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "dedent", "SQL") \
            and len(node.args) == 1:
        return _text(node.args[0], env, depth + 1)
    if isinstance(node, ast.Name):
        assigned = env.local.get(node.id)
        if assigned:
            text: str | None = None
            for stmt in assigned:
                if isinstance(stmt, ast.AugAssign):
                    more = _text(stmt.value, env, depth + 1)
                    text = (text or "") + (more if more is not None else DYN) if text is not None else None
                elif text is None:  # the first assignment; later branches rebind it the same way
                    text = _text(stmt.value, env, depth + 1)  # type: ignore[attr-defined]
            return text
        if node.id in env.module:
            return _text(env.module[node.id], env, depth + 1)
    return None


def _imported_ref(node: ast.AST, env: _Env) -> str | None:
    if isinstance(node, ast.Name) and (node.id in env.local or node.id in env.module):
        return None
    if isinstance(node, (ast.Name, ast.Attribute)):
        q = env.imports.qualname(node)
        if q and "." in q and q.rsplit(".", 1)[0] != env.imports.module and q.rsplit(".", 1)[1].isupper():
            return q
    return None


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    out: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            out[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            out[stmt.target.id] = stmt.value
    return out


def _local(fn: ast.AST) -> dict[str, list[ast.stmt]]:
    out: dict[str, list[ast.stmt]] = {}
    for n in walk(fn):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(n)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and isinstance(n.op, ast.Add):
            out.setdefault(n.target.id, []).append(n)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            out.setdefault(n.target.id, []).append(ast.Assign(targets=[n.target], value=n.value))
    for stmts in out.values():
        stmts.sort(key=lambda s: (getattr(s, "lineno", 0), getattr(s, "col_offset", 0)))
    return out


def _via(call: ast.Call, imports: ImportMap) -> str | None:
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name not in _CALLS:
        return None
    if name == "RawSQL":
        return "RawSQL" if call.args else None
    if name == "extra":
        return "extra()" if isinstance(f, ast.Attribute) and (call.keywords or call.args) else None
    if not isinstance(f, ast.Attribute) or not call.args:
        return None
    return "raw()" if name == "raw" else f"cursor.{name}"


def _extra_fragments(call: ast.Call) -> list[ast.expr]:
    """`extra(select={"x": "..."}, where=["..."], tables=[...])`: the SQL fragments."""
    out: list[ast.expr] = []
    for k in call.keywords:
        if k.arg == "select" and isinstance(k.value, ast.Dict):
            out += [v for v in k.value.values if v is not None]
        elif k.arg in ("where", "order_by") and isinstance(k.value, (ast.List, ast.Tuple)):
            out += k.value.elts
    return out


def site_of(call: ast.Call, via: str, fn_name: str | None, env: _Env) -> RawSqlSite:
    base: dict[str, Any] = {"line": call.lineno, "col": call.col_offset, "end_line": call.end_lineno or call.lineno,
                            "function": fn_name, "via": via}
    if via == "extra()" or via == "RawSQL":
        exprs = _extra_fragments(call) if via == "extra()" else call.args[:1]
        unknown = None
        for e in exprs:
            text = _text(e, env)
            if text is not None and _SQLISH.search(text) or text is not None and via == "RawSQL":
                unknown = unknown or parse_sql(text, fragment=True).unknown
        return RawSqlSite(**base, unknown=unknown)  # fragments read; they change no rows
    arg = call.args[0]
    text = _text(arg, env)
    if text is None:
        ref = _imported_ref(arg, env)
        return RawSqlSite(**base, resolved=False, ref=ref)
    parsed = parse_sql(text)
    return RawSqlSite(**base, writes=parsed.writes, unknown=parsed.unknown)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileSql | None:
    if src.tree is None or not _PREFILTER.search(src.text):
        return FileSql(constants=_sql_constants(src, imports)) if src.tree is not None and _SQLISH.search(
            src.text) else None
    module = _module_constants(src.tree)
    out = FileSql(constants=_sql_constants(src, imports))
    scopes: list[tuple[str | None, ast.AST]] = []
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes.append((f"{imports.module}.{stmt.name}", stmt))
        elif isinstance(stmt, ast.ClassDef):
            scopes += [(f"{imports.module}.{stmt.name}.{m.name}", m) for m in stmt.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    seen: set[tuple[int, int]] = set()
    for name, scope in [*scopes, (None, src.tree)]:
        env = _Env(imports=imports, module=module, local=_local(scope) if name else {})
        for n in walk(scope):
            if isinstance(n, ast.Call) and (n.lineno, n.col_offset) not in seen:
                via = _via(n, imports)
                if via:
                    seen.add((n.lineno, n.col_offset))
                    out.sites.append(site_of(n, via, name, env))
    return out if out.sites or out.constants else None


def _sql_constants(src: SourceFile, imports: ImportMap) -> dict[str, str]:
    """Module constants holding SQL (`UPDATE_SQL = "UPDATE ..."`), for other modules that import them."""
    assert src.tree is not None
    module = _module_constants(src.tree)
    env = _Env(imports=imports, module=module)
    out = {}
    for name, value in module.items():
        if name.isupper():
            text = _text(value, env)
            if text and _SQL_START.match(text):
                out[f"{imports.module}.{name}"] = text
    return out


@dataclass
class FileSql:
    sites: list[RawSqlSite] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)


@dataclass
class RawSqlIndex:
    by_path: dict[str, list[RawSqlSite]] = field(default_factory=dict)

    def sites(self, path: str) -> list[RawSqlSite]:
        return self.by_path.get(path, [])

    def at(self, path: str, line: int, col: int) -> RawSqlSite | None:
        return next((s for s in self.sites(path) if s.line == line and s.col == col), None)

    def unknowns(self) -> list[tuple[str, int, str]]:
        return [(p, s.line, f"the raw SQL at {p}:{s.line} ({s.unknown})") for p, sites in sorted(self.by_path.items())
                for s in sites if s.unknown]


def merge(per_file: dict[str, FileSql], vocab: Vocabulary) -> RawSqlIndex:
    constants = {k: v for fs in per_file.values() for k, v in fs.constants.items()}
    idx = RawSqlIndex()
    for path, fs in per_file.items():
        sites = []
        for s in fs.sites:
            if s.ref and s.ref in constants:
                parsed = parse_sql(constants[s.ref])
                s = RawSqlSite(line=s.line, col=s.col, end_line=s.end_line, function=s.function, via=s.via,
                               writes=parsed.writes, unknown=parsed.unknown, ref=s.ref)
            sites.append(s)
        if sites:
            idx.by_path[path] = sites
    return idx


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
