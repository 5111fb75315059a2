"""Dose and billing triggers: changed dose calculations (as checks/facts/clinical_functions.py
classifies them) and changed functions whose name (or class) names billing."""
from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .changes import FileChange
from .triggers import Trigger, functions

DOSE = re.compile(r"(^|_)(dose|doses|dosage|dosing|mg_per_kg|mcg_per_kg|infusion|titrat\w*)(_|$)", re.IGNORECASE)
BILLING = re.compile(r"(^|_)(bill|billing|invoice|invoices|invoicing|payment|payments|charge|charges|tariff|"
                      r"price|pricing|refund|refunds|fee|fees|copay)(_|$)", re.IGNORECASE)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def named_functions(fc: FileChange, new: ast.Module, old: ast.Module | None, pattern: re.Pattern[str] | None,
                    kind: str, label: str,
                    is_kind: Callable[[ast.FunctionDef | ast.AsyncFunctionDef], bool] | None = None) -> list[Trigger]:
    """Changed functions of a domain: by the project model's classification (`is_kind`: a dose
    calculation is named like a dose and computes one), else by name (`InvoiceService.total`)."""
    out: list[Trigger] = []
    old_fns = {q: fn for fn, _, q in functions(old)} if old is not None else {}
    for fn, _cls, qual in functions(new):
        if is_kind is not None:
            before_fn = old_fns.get(qual)
            if not (is_kind(fn) or (before_fn is not None and is_kind(before_fn))):
                continue
        elif pattern is None or not any(pattern.search(_snake(part)) for part in qual.split(".")):
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
