"""Project-wide facts about functions, for the dosage and PHI rules.

Per function (module level and methods): what it calls (resolved qualnames), whether it caps or
refuses a value against a maximum (a dose-limit helper), and whether it is an allergy /
interaction / contraindication check. Per model class: properties that read PHI fields
(`full_name` returning `f"{self.first_name} {self.last_name}"`). Merged into `FunctionIndex`,
which answers "does this function, or one it calls (two levels), run a safety check?".
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property

from ..names import ImportMap, dotted, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "clinical_functions"

_LIMIT_WORD = re.compile(r"max|limit|ceiling|upper|cap\b|_cap|threshold", re.IGNORECASE)
_SAFETY_NAME = re.compile(r"allerg|interact|contraindicat|drug_?check|safety_?check|screen_?order", re.IGNORECASE)


@dataclass
class FuncInfo:
    qualname: str
    calls: list[str] = field(default_factory=list)
    caps: bool = False  # min(x, max_…), or a comparison with a maximum that raises/returns
    safety_check: bool = False


@dataclass
class FileFunctions:
    functions: list[FuncInfo] = field(default_factory=list)
    phi_properties: list[tuple[str, str]] = field(default_factory=list)  # (class qualname, property)


def caps_against_max(fn: ast.AST) -> bool:
    """The body limits a value: `min(dose, max_dose)`, `if dose > drug.max_…: raise/return`, or
    reassigns it to the maximum: `if dose > MAX: dose = MAX`, `dose = MAX if dose > MAX else dose`."""
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "min" and (
                len(n.args) >= 2 or (n.args and not isinstance(n.args[0], ast.GeneratorExp))):
            return True
        if isinstance(n, (ast.If, ast.IfExp, ast.Assert)):
            compares_to_limit = any(isinstance(c, ast.Compare) and _LIMIT_WORD.search(ast.unparse(c))
                                    for c in walk(n.test))
            # An assert, or an `if` that raises or returns: the comparison guards the value.
            guards = isinstance(n, ast.Assert) or (not isinstance(n, ast.IfExp) and any(
                isinstance(s, (ast.Raise, ast.Return)) for s in walk(n)))
            if compares_to_limit and guards:
                return True
            if _reassigns_to_max(n):
                return True
    return False


def _over_limit(test: ast.expr) -> tuple[str, str, bool] | None:
    """`value > LIMIT` -> (value, LIMIT, True); `value <= LIMIT` -> (value, LIMIT, False): the source of
    both sides and whether the test is true when the value exceeds the limit. LIMIT is named for a maximum."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, (ast.Lt, ast.LtE)):  # `MAX < dose` is `dose > MAX`; `dose < MAX` is `MAX > dose`
        left, right, op = right, left, (ast.Gt() if isinstance(op, ast.Lt) else ast.GtE())
    if not isinstance(op, (ast.Gt, ast.GtE)):
        return None
    lo, hi = ast.unparse(left), ast.unparse(right)
    if _LIMIT_WORD.search(hi) and not _LIMIT_WORD.search(lo):
        return lo, hi, True
    if _LIMIT_WORD.search(lo) and not _LIMIT_WORD.search(hi):
        return hi, lo, False
    return None


def _reassigns_to_max(n: ast.If | ast.IfExp | ast.Assert) -> bool:
    if isinstance(n, ast.Assert):
        return False
    found = _over_limit(n.test)
    if found is None:
        return False
    value, limit, exceeds = found
    if isinstance(n, ast.IfExp):  # `MAX if dose > MAX else dose`, `dose if dose <= MAX else MAX`
        chosen, other = (n.body, n.orelse) if exceeds else (n.orelse, n.body)
        return ast.unparse(chosen) == limit and ast.unparse(other) == value
    branch = n.body if exceeds else n.orelse  # `if dose > MAX: dose = MAX`
    return any(isinstance(s, ast.Assign) and ast.unparse(s.value) == limit
               and any(ast.unparse(t) == value for t in s.targets) for s in branch)


def _calls(fn: ast.AST, imports: ImportMap, klass: str | None) -> list[str]:
    out: list[str] = []
    for n in walk(fn):
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and n.func.value.id in (
                    "self", "cls") and klass:
                out.append(f"{klass}.{n.func.attr}")
            else:
                q = imports.qualname(n.func)
                if q:
                    out.append(q)
    return out


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileFunctions | None:
    assert src.tree is not None
    out = FileFunctions()
    prefix = imports.module

    def visit(body: list[ast.stmt], klass: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, f"{prefix}.{stmt.name}" if prefix else stmt.name)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                q = f"{klass or prefix}.{stmt.name}" if (klass or prefix) else stmt.name
                safety = bool(_SAFETY_NAME.search(stmt.name)) or bool(
                    vocab.safety_check_functions and matches(q, *vocab.safety_check_functions))
                out.functions.append(FuncInfo(q, _calls(stmt, imports, klass), caps_against_max(stmt), safety))
                if klass and any(last_part(dotted(d)) in ("property", "cached_property") for d in stmt.decorator_list):
                    reads = {n.attr for n in walk(stmt) if isinstance(n, ast.Attribute)
                             and isinstance(n.value, ast.Name) and n.value.id == "self"}
                    if reads & vocab.phi_field_names():
                        out.phi_properties.append((klass, stmt.name))

    visit(src.tree.body, None)
    return out if out.functions else None


@dataclass
class FunctionIndex:
    functions: dict[str, FuncInfo] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    phi_properties: dict[str, set[str]] = field(default_factory=dict)  # class short name -> properties
    limit_helpers: tuple[str, ...] = ()

    def lookup(self, ref: str | None) -> FuncInfo | None:
        if not ref:
            return None
        if ref in self.functions:
            return self.functions[ref]
        hits = [q for q in self.by_name.get(last_part(ref), []) if q.endswith("." + ref) or ref.endswith("." + q)
                or "." not in ref]
        return self.functions[hits[0]] if len(hits) == 1 else None

    def is_limit_helper(self, ref: str | None) -> bool:
        if ref and self.limit_helpers and matches(ref, *self.limit_helpers):
            return True
        f = self.lookup(ref)
        return f is not None and f.caps

    @cached_property  # asked for every function of every file; the index is complete once merged
    def has_safety_checks(self) -> bool:
        return any(f.safety_check for f in self.functions.values())

    def reaches_safety_check(self, calls: list[str], depth: int = 2) -> bool:
        for c in calls:
            f = self.lookup(c)
            if f is None:
                if _SAFETY_NAME.search(last_part(c)):
                    return True
                continue
            if f.safety_check or (depth > 0 and self.reaches_safety_check(f.calls, depth - 1)):
                return True
        return False

    def reaches_limit(self, calls: list[str], depth: int = 1) -> bool:
        for c in calls:
            if self.is_limit_helper(c):
                return True
            f = self.lookup(c)
            if f is not None and depth > 0 and self.reaches_limit(f.calls, depth - 1):
                return True
        return False


def merge(per_file: dict[str, FileFunctions], vocab: Vocabulary) -> FunctionIndex:
    idx = FunctionIndex(limit_helpers=tuple(vocab.dose_limit_helpers))
    for ff in per_file.values():
        for f in ff.functions:
            idx.functions[f.qualname] = f
            idx.by_name.setdefault(last_part(f.qualname), []).append(f.qualname)
        for klass, prop in ff.phi_properties:
            idx.phi_properties.setdefault(last_part(klass), set()).add(prop)
    return idx


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()


# -- dose calculations ---------------------------------------------------------------------------
_DOSE_TOKENS = frozenset({"dose", "doses", "dosage", "dosing"})
_AMOUNT_TOKENS = frozenset({"mg", "mcg", "microgram", "micrograms", "units", "iu", "mmol"})
_PATIENT_MEASURE = re.compile(r"weight|kg|bsa|surface|m2|age|clearance|crcl|egfr|gfr", re.IGNORECASE)
# Doses counted as stock (vaccine vials in and out, a store's balance): supply accounting, no patient's dose.
_STOCK_TOKENS = frozenset({"vial", "vials", "stock", "inventory", "balance", "wastage", "shipment", "shipments"})
_NOT_DOSE_PREFIX = ("enforce", "cap", "clamp", "limit", "check", "validate", "verify", "assert", "get_max", "max_")


def tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()) if t]


def is_dose_calculation(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Named like a dose (`*_dose*`, `mg_per_kg`, `infusion_rate`), or an amount (`*_mg`) computed
    from a patient measure (weight, BSA, age, renal function); and it does arithmetic."""
    name = fn.name.lower()
    if name.startswith(_NOT_DOSE_PREFIX) or name.startswith("test"):
        return False
    toks = set(tokens(fn.name))
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    named = bool(toks & _DOSE_TOKENS) or "mg_per_kg" in name or "per_kg" in name or (
        "infusion" in toks and "rate" in toks)
    measured = bool(toks & _AMOUNT_TOKENS) and any(_PATIENT_MEASURE.search(p) for p in params)
    if not (named or measured) or (not measured and toks & _STOCK_TOKENS):
        return False
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)) and not any(
        isinstance(side, (ast.List, ast.Tuple, ast.Constant)) and not isinstance(getattr(side, "value", 0), (int, float))
        for side in (n.left, n.right)) for n in walk(fn))  # `[""] * n` repeats a list; it computes nothing
