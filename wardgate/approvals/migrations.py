"""Migration triggers: a new or altered migration, and the columns or tables of patient-data or
audited models it drops, alters or renames."""
from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from checks.walk import walk

from .changes import FileChange
from .triggers import Context, Trigger, const, kwarg, span

_MIGRATION_OPS = {"RemoveField": "removes column", "AlterField": "alters column", "RenameField": "renames column",
                  "DeleteModel": "deletes the table of", "RunSQL": "runs SQL on"}
_SQL_DDL = re.compile(r"\b(?:DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE(?:\s+ONLY)?|TRUNCATE(?:\s+TABLE)?)\s+"
                      r"[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?(\w+)", re.IGNORECASE)


def is_migration(path: str) -> bool:
    p = PurePosixPath(path)
    return p.parent.name == "migrations" and p.suffix == ".py" and p.name != "__init__.py"




def migration_triggers(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    out: list[Trigger] = []
    app_dir = str(PurePosixPath(fc.path).parent.parent)
    app = PurePosixPath(fc.path).parent.parent.name
    what = "new migration" if fc.old_path is None else "altered migration"
    out.append(Trigger("migration", fc.path, sorted(fc.lines), f"{what} `{fc.path}`"))
    for call in (n for n in walk(new) if isinstance(n, ast.Call)):
        op = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if op not in _MIGRATION_OPS or not fc.touches(call.lineno, call.end_lineno or call.lineno):
            continue
        lines = span(call)
        targets: list[tuple[str, str | None]] = []  # (model name or table, field)
        if op == "RunSQL":
            sql = " ".join(s for s in (const(n) for n in walk(call)) if s)
            for m in _SQL_DDL.finditer(sql):
                targets.append((m.group(1), None))
            if not targets:
                continue
        else:
            model = const(kwarg(call, "model_name" if op != "DeleteModel" else "name", 0))
            fname = const(kwarg(call, "name" if op != "RenameField" else "old_name", 1)) if op != "DeleteModel" \
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
