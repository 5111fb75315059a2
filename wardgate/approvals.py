"""Approval routing: which roles must sign off a change, and why, from what the change does.

CODEOWNERS routes by path; wardgate routes by the code. In diff mode (`--diff BASE`, `--staged`) the
changed files are read at both refs with the stdlib `ast` and each rule of `[tool.wardgate.approvals]`
maps a role to conditions over the change:

- kinds of change recognised from the code (`ChangeKind` below): a new or altered migration, and
  whether it drops/alters/renames columns or deletes models of patient (or audited) tables; edits to
  permission classes, decorators, mixins or `DEFAULT_PERMISSION_CLASSES`; code that deletes patient
  records; edits to audit registration or history models; changes to dose calculations or billing;
- categories or rule-id prefixes of findings on changed lines;
- path globs of changed files.

Every requirement points at the lines that triggered it. `--approved-by ROLE,...` (or the
`WARDGATE_APPROVED_BY` variable) turns the requirements into gate conditions; without it they are
informational. Outside diff mode nothing is reported.
"""
from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from checks.finding import Category
from checks.walk import walk

if TYPE_CHECKING:
    from checks.facts.django_code import ProjectCode
    from checks.facts.django_models import ModelIndex
    from checks.finding import Finding
    from checks.vocabulary import Vocabulary
    from reports.model import Report

    from .pipeline import RunResult

ENV_VAR = "WARDGATE_APPROVED_BY"

ChangeKind = Literal[
    "migration",  # a new or altered migration
    "migration-drops-column",  # RemoveField/AlterField/RenameField/DeleteModel/RunSQL DROP|ALTER, any table
    "migration-patient-column",  # ... of a patient-data model's table
    "migration-audited-column",  # ... of an audited model's table
    "permission",  # permission classes/decorators/mixins, DEFAULT_PERMISSION_CLASSES
    "patient-delete",  # .delete() / DELETE FROM on patient records
    "audit",  # audit registration, history models, audit settings
    "dose",  # dose calculations
    "billing",  # billing, invoicing, payments
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApprovalRule(_Strict):
    """`[[tool.wardgate.approvals.rules]]`: a role and what makes it required (any condition suffices)."""

    role: str = Field(min_length=1)
    why: str = ""
    kinds: list[ChangeKind] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    rule_ids: list[str] = Field(default_factory=list, description="Rule-id prefixes of findings on changed lines")
    paths: list[str] = Field(default_factory=list, description="Globs of changed files")


class MetricsConfig(_Strict):
    """Thresholds for the changed functions (`[tool.wardgate.approvals.metrics]`); None switches one off."""

    enabled: bool = True
    max_complexity: int | None = Field(default=15, ge=1, description="No changed function may end above this")
    min_maintainability: float | None = Field(default=None, ge=0, le=100)
    type_hints_must_not_fall: bool = True
    docstrings_must_not_fall: bool = False


class ApprovalsConfig(_Strict):
    enabled: bool = True
    defaults: bool = Field(default=True, description="Include the built-in rules for the five roles")
    rules: list[ApprovalRule] = Field(default_factory=list)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    def all_rules(self) -> list[ApprovalRule]:
        return [*(DEFAULT_RULES if self.defaults else ()), *self.rules]

    def roles(self) -> list[str]:
        return sorted({r.role for r in self.all_rules()})


DEFAULT_RULES: tuple[ApprovalRule, ...] = (
    ApprovalRule(role="dba", why="database schema change",
                 kinds=["migration", "migration-drops-column", "migration-patient-column"]),
    ApprovalRule(role="security", why="authorization change", kinds=["permission"],
                 categories=[Category.PERMISSION, Category.SECRET]),
    ApprovalRule(role="medical-director", why="patient data deletion or dosing logic",
                 kinds=["patient-delete", "dose"], categories=[Category.DOSAGE]),
    ApprovalRule(role="compliance", why="audit trail or patient-data exposure",
                 kinds=["audit", "migration-audited-column"], categories=[Category.AUDIT_TRAIL, Category.PHI]),
    ApprovalRule(role="finance", why="billing logic change", kinds=["billing"],
                 paths=["**/billing/**", "billing/**", "**/invoic*/**", "**/payments/**"]),
)


# --------------------------------------------------------------------------------------------- the change


@dataclass
class FileChange:
    path: str
    lines: set[int]  # changed lines, new numbering (a pure deletion marks its neighbours)
    old_path: str | None  # None: the file is new
    new_text: str | None
    old_text: str | None

    def touches(self, start: int, end: int) -> bool:
        return any(start <= n <= end for n in self.lines)


@dataclass
class ChangeSet:
    root: Path
    base: str  # the revision the old side was read from
    files: dict[str, FileChange] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)  # path -> old text

    def python(self) -> Iterator[FileChange]:
        return (f for f in self.files.values() if f.path.endswith(".py"))


def _git(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=root, check=False, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=120)
    return proc.stdout if proc.returncode == 0 else None


def load_changes(root: Path, base: str | None, *, staged: bool = False) -> ChangeSet:
    """The changed files with both sides' text. Uses wardgate.git for the changed lines."""
    from .git import EMPTY_TREE, changed_lines

    diff = changed_lines(root, base or None, staged=staged)
    if staged:
        old_ref = "HEAD" if _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") else EMPTY_TREE
    else:
        old_ref = diff.base
    cs = ChangeSet(root=root, base=old_ref)
    tracked_old = set((_git(root, "ls-tree", "-r", "--name-only", old_ref) or "").splitlines())

    def old(path: str) -> str | None:
        return _git(root, "show", f"{old_ref}:{path}") if path in tracked_old else None

    for path, lines in diff.changed.items():
        old_path = diff.renamed.get(path, path)
        if staged:
            new_text = _git(root, "show", f":{path}")
        else:
            try:
                new_text = (root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                new_text = None
        old_text = old(old_path)
        cs.files[path] = FileChange(path=path, lines=set(lines), old_path=old_path if old_text is not None else None,
                                    new_text=new_text, old_text=old_text)
    for path in diff.deleted:
        text = old(path)
        if text is not None:
            cs.deleted[path] = text
    return cs


def parse(text: str | None) -> ast.Module | None:
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


# --------------------------------------------------------------------------------------------- triggers


@dataclass
class Trigger:
    kind: str  # a ChangeKind, or "finding" / "path"
    path: str
    lines: list[int]
    why: str
    symbol: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"{self.path}:{_ranges(self.lines)}" if self.lines else self.path


def _ranges(lines: Iterable[int]) -> str:
    nums = sorted(set(lines))
    out: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ",".join(out)


def _span(node: ast.AST) -> list[int]:
    start = getattr(node, "lineno", 1)
    return list(range(start, (getattr(node, "end_lineno", None) or start) + 1))


@dataclass
class Context:
    changes: ChangeSet
    models: ModelIndex | None
    code: ProjectCode | None
    vocab: Vocabulary | None


def detect(ctx: Context) -> list[Trigger]:
    out: list[Trigger] = []
    for fc in ctx.changes.python():
        new = parse(fc.new_text)
        if new is None:
            continue
        old = parse(fc.old_text)
        if _is_migration(fc.path):
            out.extend(_migration(ctx, fc, new, old))
            continue
        out.extend(_permission(ctx, fc, new, old))
        out.extend(_audit(ctx, fc, new, old))
        out.extend(_patient_delete(ctx, fc, new))
        out.extend(_named_functions(fc, new, old, _DOSE, "dose", "dose calculation"))
        out.extend(_named_functions(fc, new, old, _BILLING, "billing", "billing logic"))
    for path in ctx.changes.deleted:
        if _is_migration(path):
            out.append(Trigger("migration", path, [], f"migration `{path}` deleted"))
    return out


# -- migrations

_MIGRATION_OPS = {"RemoveField": "removes column", "AlterField": "alters column", "RenameField": "renames column",
                  "DeleteModel": "deletes the table of", "RunSQL": "runs SQL on"}
_SQL_DDL = re.compile(r"\b(?:DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE(?:\s+ONLY)?|TRUNCATE(?:\s+TABLE)?)\s+"
                      r"[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?(\w+)", re.IGNORECASE)


def _is_migration(path: str) -> bool:
    p = PurePosixPath(path)
    return p.parent.name == "migrations" and p.suffix == ".py" and p.name != "__init__.py"


def _kwarg(call: ast.Call, name: str, pos: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return call.args[pos] if len(call.args) > pos else None


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _migration(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    out: list[Trigger] = []
    app_dir = str(PurePosixPath(fc.path).parent.parent)
    app = PurePosixPath(fc.path).parent.parent.name
    what = "new migration" if fc.old_path is None else "altered migration"
    out.append(Trigger("migration", fc.path, sorted(fc.lines), f"{what} `{fc.path}`"))
    for call in (n for n in walk(new) if isinstance(n, ast.Call)):
        op = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if op not in _MIGRATION_OPS or not fc.touches(call.lineno, call.end_lineno or call.lineno):
            continue
        lines = _span(call)
        targets: list[tuple[str, str | None]] = []  # (model name or table, field)
        if op == "RunSQL":
            sql = " ".join(s for s in (_const(n) for n in walk(call)) if s)
            for m in _SQL_DDL.finditer(sql):
                targets.append((m.group(1), None))
            if not targets:
                continue
        else:
            model = _const(_kwarg(call, "model_name" if op != "DeleteModel" else "name", 0))
            fname = _const(_kwarg(call, "name" if op != "RenameField" else "old_name", 1)) if op != "DeleteModel" \
                else None
            if model is None:
                continue
            targets.append((model, fname))
        for target, fname in targets:
            info = _migration_model(ctx, target, app, app_dir, table=op == "RunSQL")
            label = info[0] if info else target
            col = f" `{fname}` of" if fname else ""
            why = f"{op} {_MIGRATION_OPS[op]}{col} `{label}` ({fc.path})"
            if op == "AlterField":
                why = f"AlterField alters column{col} `{label}` ({fc.path})"
            data = {"operation": op, "model": label, "field": fname}
            out.append(Trigger("migration-drops-column", fc.path, lines, why, symbol=label, data=data))
            if info and info[1]:
                out.append(Trigger("migration-patient-column", fc.path, lines,
                                   f"{why}: `{label}` holds patient data", symbol=label, data=data))
            if info and info[2]:
                out.append(Trigger("migration-audited-column", fc.path, lines,
                                   f"{why}: `{label}` is audited ({info[2]})", symbol=label, data=data))
    return out


def _migration_model(ctx: Context, target: str, app: str, app_dir: str, *, table: bool
                     ) -> tuple[str, bool, str | None] | None:
    """(model name, holds patient data, audit mechanism) for a migration's model_name or SQL table."""
    idx = ctx.models
    if idx is None:
        return None
    target_l = target.lower()
    hits: list[str] = []
    for q in idx.django:
        m = idx.models[q]
        if table:
            from checks.facts.querysets import default_table

            tables = {default_table(q)} | {t for t, mq in (ctx.code.db_tables.items() if ctx.code else ()) if mq == q}
            if target_l in tables:
                hits.append(q)
        elif m.name.lower() == target_l:
            hits.append(q)
    if len(hits) > 1:
        local = [q for q in hits if idx.models[q].path.startswith(app_dir + "/") or f".{app}." in f".{q}."]
        hits = local or hits
    if not hits:
        return None
    q = hits[0]
    return idx.models[q].name, q in idx.patient, idx.audited.get(q)


# -- permissions

_AUTH_WORDS = re.compile(r"perm|login|auth|role|staff|superuser|access|group_required|otp|verified", re.IGNORECASE)
_PERM_METHODS = frozenset({"has_permission", "has_object_permission", "get_permissions", "test_func",
                           "get_permission_required", "has_perm", "has_perms", "has_module_perms",
                           "handle_no_permission", "check_permissions", "check_object_permissions"})
_PERM_ATTRS = frozenset({"permission_classes", "permission_required", "authentication_classes", "raise_exception",
                         "login_url", "permission_denied_message"})
_PERM_SETTINGS = ("DEFAULT_PERMISSION_CLASSES", "DEFAULT_AUTHENTICATION_CLASSES")


def _perm_items(tree: ast.Module, vocab: Vocabulary | None, code: ProjectCode | None) -> dict[str, list[tuple[str, list[int]]]]:
    """Per symbol (qualname / setting), the authorization-relevant pieces as (text, lines)."""
    extra = set(vocab.permission_decorators + vocab.authentication_decorators + vocab.permission_mixins
                + vocab.permission_classes) if vocab else set()
    project_decos = {q.rsplit(".", 1)[-1] for q in (code.decorators if code else {})}

    def relevant(expr: ast.expr) -> bool:
        text = ast.unparse(expr)
        name = text.split("(")[0].rsplit(".", 1)[-1]
        return bool(_AUTH_WORDS.search(name)) or name in project_decos or any(text.startswith(e) or
                                                                              name == e.rsplit(".", 1)[-1]
                                                                              for e in extra)

    out: dict[str, list[tuple[str, list[int]]]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                q = prefix + stmt.name
                items = [(f"@{ast.unparse(d)}", _span(d)) for d in stmt.decorator_list if relevant(d)]
                if stmt.name in _PERM_METHODS:
                    items.append((ast.dump(ast.Module(body=stmt.body, type_ignores=[])),
                                  _span(stmt)))
                if items:
                    out[q] = [*items, ("def", [stmt.lineno])]
            elif isinstance(stmt, ast.ClassDef):
                q = prefix + stmt.name
                items = [(f"base {ast.unparse(b)}", _span(b)) for b in stmt.bases if relevant(b)]
                items += [(f"@{ast.unparse(d)}", _span(d)) for d in stmt.decorator_list if relevant(d)]
                if any(ast.unparse(b).endswith("BasePermission") for b in stmt.bases):
                    items.append((ast.dump(stmt), _span(stmt)))
                for s in stmt.body:
                    targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(
                        s, ast.AnnAssign) and s.value is not None else []
                    if any(isinstance(t, ast.Name) and t.id in _PERM_ATTRS for t in targets):
                        items.append((ast.unparse(s), _span(s)))
                if items:
                    out[q] = [*items, ("class", [stmt.lineno])]
                visit(stmt.body, q + ".")
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and not prefix:
                text = ast.unparse(stmt)
                for key in _PERM_SETTINGS:
                    if key in text:
                        out.setdefault(f"settings {key}", []).append((text, _span(stmt)))

    visit(tree.body, "")
    return out


def _permission(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    vocab, code = ctx.vocab, ctx.code
    now = _perm_items(new, vocab, code)
    before = _perm_items(old, vocab, code) if old is not None else {}
    out: list[Trigger] = []
    for sym, items in now.items():
        old_items = before.get(sym)
        if old_items is None:
            if fc.old_path is not None and not sym.startswith("settings") and not any(
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


# -- audit

_AUDIT_CALLS = re.compile(r"(auditlog|simple_history|reversion|pghistory|easyaudit)\b.*\b(register|track)\b|"
                          r"HistoricalRecords|register_history", re.IGNORECASE)
_AUDIT_SETTINGS = re.compile(r"^(AUDITLOG_|SIMPLE_HISTORY_|PGHISTORY_|REVERSION_|DJANGO_EASY_AUDIT_)")


def _audit_items(tree: ast.Module, vocab: Vocabulary | None) -> dict[str, list[int]]:
    """Audit registrations, history models and audit settings as text -> lines."""
    bases = tuple(vocab.audit_base_classes) if vocab else ()
    decos = tuple(vocab.audit_decorators) if vocab else ()
    out: dict[str, list[int]] = {}
    for node in walk(tree):
        if isinstance(node, ast.Call) and _AUDIT_CALLS.search(ast.unparse(node.func)):
            out[ast.unparse(node)] = [node.lineno]
        elif isinstance(node, ast.ClassDef):
            if node.name.startswith("Historical") or any(
                    re.search(r"history|audit|pghistory", ast.unparse(b), re.IGNORECASE) for b in node.bases):
                out[f"history model {ast.dump(node)}"] = [node.lineno]
            for b in node.bases:
                if bases and ast.unparse(b).rsplit(".", 1)[-1] in {x.rsplit(".", 1)[-1] for x in bases}:
                    out[f"{node.name}({ast.unparse(b)})"] = _span(b)
            for d in node.decorator_list:
                if decos and ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] in {x.rsplit(".", 1)[-1] for x in decos}:
                    out[f"@{ast.unparse(d)} {node.name}"] = _span(d)
        elif isinstance(node, ast.Assign) and node in tree.body:
            for t in node.targets:
                if isinstance(t, ast.Name) and _AUDIT_SETTINGS.match(t.id):
                    out[ast.unparse(node)] = _span(node)
                elif isinstance(t, ast.Name) and t.id == "MIDDLEWARE":
                    for e in getattr(node.value, "elts", []):
                        s = _const(e)
                        if s and re.search(r"history|audit", s, re.IGNORECASE):
                            out[f"middleware {s}"] = [e.lineno]
    return out


def _audit(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    now = _audit_items(new, ctx.vocab)
    before = _audit_items(old, ctx.vocab) if old is not None else {}
    out: list[Trigger] = []
    for text, lines in now.items():
        if text not in before:
            label = text.split(" ", 2)[0:2] if text.startswith("history model") else None
            name = _history_name(text) if label else text
            why = f"history model `{name}` added or changed" if label else f"audit registration `{name}` added or changed"
            out.append(Trigger("audit", fc.path, lines, why, symbol=name, data={"added": text, "removed": None}))
    for text, lines in before.items():
        if text not in now:
            name = _history_name(text) if text.startswith("history model") else text
            out.append(Trigger("audit", fc.path, sorted(fc.lines)[:2],
                               f"audit registration `{name}` removed (base line {lines[0]})"
                               if not text.startswith("history model") else f"history model `{name}` changed or removed",
                               symbol=name, data={"added": None, "removed": text}))
    # A modified history model appears as a removal plus an addition: keep one trigger per symbol and change.
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for t in out:
        key = (t.symbol, t.why.split(" ")[0])
        if t.why.startswith("history model") and key in seen:
            continue
        seen.add(key)
        unique.append(t)
    return unique


def _history_name(text: str) -> str:
    m = re.search(r"ClassDef\(name='(\w+)'", text)
    return m.group(1) if m else text


# -- patient deletion


def _functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None, str]]:
    """(function, enclosing class name, qualname) for every function, methods included."""
    def visit(body: list[ast.stmt], cls: str | None, prefix: str) -> Iterator[Any]:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield stmt, cls, prefix + stmt.name
                yield from visit(stmt.body, cls, prefix + stmt.name + ".")
            elif isinstance(stmt, ast.ClassDef):
                yield from visit(stmt.body, stmt.name, prefix + stmt.name + ".")
    return visit(tree.body, None, "")


def _module_name(path: str) -> str:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _patient_delete(ctx: Context, fc: FileChange, new: ast.Module) -> list[Trigger]:
    if ctx.models is None or ctx.code is None or ".delete(" not in (fc.new_text or "") and "DELETE" not in (
            fc.new_text or "").upper():
        return []
    from checks.facts.querysets import Scope, sql_text
    from checks.names import ImportMap

    imports = ImportMap.build(new, _module_name(fc.path), fc.path.endswith("__init__.py"))
    out: list[Trigger] = []
    for fn, cls, qual in _functions(new):
        klass = f"{imports.module}.{cls}" if cls else None
        scope = Scope.of(fn, imports, ctx.models, ctx.code, klass)
        for node in walk(fn):
            if not isinstance(node, ast.Call) or not fc.touches(node.lineno, node.end_lineno or node.lineno):
                continue
            model, bulk = None, False
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("delete", "_raw_delete"):
                recv = node.func.value
                model = scope.model_of(recv)
                bulk = model is not None
                if model is None:
                    model = _instance_model(recv, fn, scope)
            elif isinstance(node.func, ast.Attribute) and node.func.attr in ("execute", "executemany", "raw"):
                sql = sql_text(node.args[0] if node.args else None, scope.env)
                for m in re.finditer(r"\bDELETE\s+FROM\s+[\"`\[]?(\w+)", sql, re.IGNORECASE):
                    model, bulk = scope.table_model(m.group(1)), True
            if model is None or model not in ctx.models.patient:
                continue
            name = model.rsplit(".", 1)[-1]
            how = "bulk-deletes" if bulk else "deletes"
            stmt_text = ast.unparse(node)
            out.append(Trigger("patient-delete", fc.path, _span(node),
                               f"`{qual}` {how} `{name}` records (`{_clip(stmt_text)}`)", symbol=qual,
                               data={"model": name, "bulk": bulk, "call": stmt_text,
                                     "audited": ctx.models.audited.get(model)}))
    return out


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _instance_model(recv: ast.expr, fn: ast.AST, scope: Any) -> str | None:
    """`p = Patient.objects.get(...)`, `get_object_or_404(Patient, ...)`, `for p in Patient.objects...`,
    `self.get_object()` / `self.object` / `perform_destroy(self, instance)` in a view of a patient model."""
    if isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute):
        if recv.func.attr in ("get", "first", "last", "earliest", "latest", "get_or_create"):
            return scope.model_of(recv.func.value)
        if recv.func.attr == "get_object":
            return scope.class_model()
    if isinstance(recv, ast.Call) and (getattr(recv.func, "id", "") or getattr(recv.func, "attr", "")) in (
            "get_object_or_404",) and recv.args:
        return scope._model(scope.imports.qualname(recv.args[0]))
    if isinstance(recv, ast.Attribute) and isinstance(recv.value, ast.Name) and recv.value.id == "self" and \
            recv.attr == "object":
        return scope.class_model()
    if isinstance(recv, ast.Name):
        for value in scope.env.get(recv.id, []):
            found = _instance_model(value, fn, scope)
            if found:
                return found
        for node in walk(fn):
            if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) and \
                    node.target.id == recv.id:
                found = scope.model_of(node.iter)
                if found:
                    return found
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == "perform_destroy" and any(
                a.arg == recv.id for a in fn.args.args[1:]):
            return scope.class_model()
    return None


# -- dosing and billing, by name

_DOSE = re.compile(r"(^|_)(dose|doses|dosage|dosing|mg_per_kg|mcg_per_kg|infusion|titrat\w*)(_|$)", re.IGNORECASE)
_BILLING = re.compile(r"(^|_)(bill|billing|invoice|invoices|invoicing|payment|payments|charge|charges|tariff|"
                      r"price|pricing|refund|refunds|fee|fees|copay)(_|$)", re.IGNORECASE)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _named_functions(fc: FileChange, new: ast.Module, old: ast.Module | None, pattern: re.Pattern[str], kind: str,
                     label: str) -> list[Trigger]:
    """Changed functions whose name (or class) names the domain: `calculate_dose`, `InvoiceService.total`."""
    out: list[Trigger] = []
    old_fns = {q: fn for fn, _, q in _functions(old)} if old is not None else {}
    for fn, _cls, qual in _functions(new):
        if not any(pattern.search(_snake(part)) for part in qual.split(".")):
            continue
        if not fc.touches(fn.lineno, fn.end_lineno or fn.lineno):
            continue
        before = old_fns.get(qual)
        if before is not None and ast.dump(before) == ast.dump(fn):
            continue
        lines = sorted(n for n in fc.lines if fn.lineno <= n <= (fn.end_lineno or fn.lineno))
        what = "new" if before is None else "changed"
        out.append(Trigger(kind, fc.path, lines, f"{label} `{qual}` {what}", symbol=qual))
    return out


# --------------------------------------------------------------------------------------------- routing


@dataclass
class Requirement:
    role: str
    why: str
    triggers: list[Trigger]

    def to_dict(self, approved: bool | None) -> dict[str, Any]:
        return {"role": self.role, "why": self.why, "approved": approved,
                "reasons": [{"kind": t.kind, "why": t.why, "path": t.path, "lines": _ranges(t.lines),
                             "location": t.where(), **({"symbol": t.symbol} if t.symbol else {})}
                            for t in self.triggers]}


def route(triggers: list[Trigger], findings: Iterable[Finding], changes: ChangeSet,
          rules: list[ApprovalRule]) -> list[Requirement]:
    changed_findings = [f for f in findings if f.suppression is None and f.baseline_state != "unchanged"
                        and f.path in changes.files and changes.files[f.path].touches(f.start_line, f.end_line)]
    by_role: dict[str, Requirement] = {}
    for rule in rules:
        hits: list[Trigger] = [t for t in triggers if t.kind in rule.kinds]
        for f in changed_findings:
            if f.category in rule.categories or any(f.rule_id.startswith(p) for p in rule.rule_ids):
                hits.append(Trigger("finding", f.path, list(range(f.start_line, f.end_line + 1)),
                                    f"{f.rule_id} ({f.category.value}) on a changed line: {_clip(f.message, 100)}",
                                    data={"rule_id": f.rule_id}))
        for pattern in rule.paths:
            for path in sorted([*changes.files, *changes.deleted]):
                if fnmatch.fnmatchcase(path, pattern) or PurePosixPath(path).match(pattern):
                    fc = changes.files.get(path)
                    hits.append(Trigger("path", path, sorted(fc.lines) if fc else [],
                                        f"`{path}` matches `{pattern}`"))
        if not hits:
            continue
        req = by_role.setdefault(rule.role, Requirement(rule.role, rule.why, []))
        if rule.why and rule.why not in req.why:
            req.why = f"{req.why}; {rule.why}" if req.why else rule.why
        for t in hits:
            if not any(t.kind == o.kind and t.path == o.path and t.lines == o.lines and t.why == o.why
                       for o in req.triggers):
                req.triggers.append(t)
    for req in by_role.values():
        req.triggers.sort(key=lambda t: (t.path, t.lines[:1], t.kind))
    return sorted(by_role.values(), key=lambda r: r.role)


def parse_roles(value: str | None) -> list[str] | None:
    """`dba, security` -> ["dba", "security"]; None stays None (no enforcement)."""
    if value is None:
        return None
    return sorted({r.strip().lower() for r in re.split(r"[,\s]+", value) if r.strip()})


# --------------------------------------------------------------------------------------------- the report


def attach(result: RunResult, config: Any, *, diff: str | None, staged: bool,
           approved_by: list[str] | None) -> Report:
    """The run's report with approvals, change metrics and test suggestions (diff mode only)."""
    report = result.report
    acfg: ApprovalsConfig = getattr(config, "approvals", None) or ApprovalsConfig()
    if isinstance(acfg, dict):  # a config from before the model existed
        acfg = ApprovalsConfig.model_validate(acfg)
    if not acfg.enabled or (diff is None and not staged):
        return report
    if staged and approved_by is None:
        # A commit has no approvers: routing and metrics are pull-request gates (`--diff` in CI).
        # Skipping them keeps the pre-commit hook under a second; `--approved-by` turns them on.
        return report
    from . import change_metrics, test_suggestions

    changes = load_changes(result.root, diff, staged=staged)
    project = result.engine.project
    ctx = Context(changes=changes, models=project.fact("django_models"), code=project.fact("django_code"),
                  vocab=getattr(config, "domain", None))
    triggers = detect(ctx)
    requirements = route(triggers, report.findings, changes, acfg.all_rules())
    enforced = approved_by is not None
    approved = set(approved_by or [])
    required = [r.role for r in requirements]
    missing = [r for r in required if r not in approved] if enforced else []
    unknown = sorted(approved - set(acfg.roles())) if enforced else []
    approvals: dict[str, Any] = {
        "enforced": enforced,
        "approved_by": sorted(approved) if enforced else [],
        "required": [r.to_dict(r.role in approved if enforced else None) for r in requirements],
        "missing": missing,
        "base": changes.base,
        **({"unknown_roles": unknown} if unknown else {}),
    }
    metrics = change_metrics.compute(changes, acfg.metrics) if acfg.metrics.enabled else None
    suggestions = test_suggestions.suggest(triggers, ctx)
    conditions = []
    if enforced:
        from reports.model import Condition

        for r in requirements:
            where = "; ".join(t.where() for t in r.triggers[:4]) + (" …" if len(r.triggers) > 4 else "")
            conditions.append(Condition(
                id=f"approval:{r.role}", description=f"Approved by {r.role} ({r.why})", held=r.role in approved,
                detail=(f"approved; triggered by {where}" if r.role in approved
                        else f"missing approval from {r.role}: {r.triggers[0].why} at {where}")))
    if metrics is not None:
        conditions.extend(change_metrics.conditions(metrics))
    update: dict[str, Any] = {"gate": _with_conditions(report.gate, conditions)}
    extra = {"approvals": approvals, "change_metrics": metrics, "test_suggestions": [s.to_dict() for s in suggestions]}
    if "approvals" in type(report).model_fields:
        update.update(extra)
    else:
        update["stats"] = {**report.stats, **extra}
    return report.model_copy(update=update)


def _with_conditions(gate: Any, extra: list[Any]) -> Any:
    if not extra:
        return gate
    conditions = [*gate.conditions, *extra]
    verdict = gate.verdict
    if verdict != "error":
        verdict = "pass" if all(c.held for c in conditions) else "fail"
    summary = gate.summary
    if verdict == "fail":
        failed = [c.description + (f" — {c.detail}" if c.id.startswith(("approval:", "metrics:")) else "")
                  for c in conditions if not c.held]
        summary = "Gate failed: " + "; ".join(f"not met: {d}" for d in failed) + "."
    return gate.model_copy(update={"verdict": verdict, "passed": verdict == "pass", "conditions": conditions,
                                   "summary": summary})
