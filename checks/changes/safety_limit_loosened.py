"""WG801: a numeric safety limit on a dose, rate, concentration, quantity or frequency loosened."""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..finding import Category, Confidence, Finding, Severity
from ..source import SourceFile
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor, fmt, number, scoped_nodes

# Records one bound: add(key, label, kind, value, line, context) (see `limits`).
_Add = Callable[[str, str, str | None, float | None, int, str], None]

# What a limit bounds: a name made of these words is a clinical limit (`max_dose_mg`, `MAX_INFUSION_RATE`).
_CLINICAL = re.compile(
    r"(^|_)(dose|doses|dosage|dosing|mg|mcg|ug|microgram|micrograms|ml|mmol|units|iu|rate|infusion|"
    r"concentration|conc|quantity|qty|frequency|freq|daily|per_day|per_kg|mg_per_kg|bolus|volume|strength|"
    r"tablets|drops|puffs|interval|titration|potassium|insulin|heparin|morphine|opioid|paracetamol|weight|kg)"
    r"(_|$)", re.IGNORECASE)
_BOUND_WORD = re.compile(r"(^|_)(max|maximum|min|minimum|limit|cap|ceiling|floor|upper|lower)(_|$)", re.IGNORECASE)
_NOT_LIMIT = frozenset({"max_length", "min_length", "max_digits", "decimal_places", "max_upload_size",
                        "max_num", "min_num", "max_age", "max_retries", "max_connections", "max_workers"})
# Data files whose path names the clinical domain: every bound in them is a clinical limit.
_CLINICAL_FILE = re.compile(r"formular|drug|dose|dosing|dosage|medic|pharm|prescri|infusion|titrat", re.IGNORECASE)
_CHECK_FUNCS = re.compile(r"^(clean|validate|check|verify|enforce|assert|ensure|limit|cap|clamp)", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    key: str  # stable identity: scope and name, without line numbers or module path
    label: str  # as shown in the message
    kind: str  # "max" | "min"
    value: float
    line: int


def _kind(name: str) -> str | None:
    low = name.lower()
    if re.search(r"(^|_)(max|maximum|cap|ceiling|upper|limit)(_|$)|^max", low):
        return "max"
    if re.search(r"(^|_)(min|minimum|floor|lower)(_|$)|^min", low):
        return "min"
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def limits(src: SourceFile | None, patient_classes: frozenset[str] = frozenset()) -> dict[str, Limit]:
    """Every clinical numeric bound in a file: validator keyword arguments, Max/MinValueValidator,
    named constants and dict entries (settings, formulary data), and comparisons in check functions.
    A bound is clinical by its name (dose, rate, mg...) or because it validates a field of a
    patient-data model (`patient_classes`, from the project model): a pulse limit on a daily round."""
    out: dict[str, Limit] = {}
    if src is None or src.tree is None:
        return out
    seen: dict[str, int] = {}

    def add(key: str, label: str, kind: str | None, value: float | None, line: int, context: str) -> None:
        if kind is None or value is None:
            return
        if not _CLINICAL.search(_snake(context)) and key.split(".")[0] not in patient_classes:
            return
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[f"{key}#{n}" if n else key] = Limit(key, label, kind, value, line)

    assigned: set[int] = set()  # calls read with their assignment's name (field definitions)
    for scope, node in scoped_nodes(src.tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:  # not a bare `x: int`
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                if name is None:
                    continue
                where = f"{scope}.{name}" if scope else name
                if _BOUND_WORD.search(_snake(name)) and name.lower() not in _NOT_LIMIT:
                    add(where, name, _kind(_snake(name)), number(node.value), node.lineno, name)
                if isinstance(node.value, ast.Dict):
                    _dict_limits(node.value, where, name, add)
                for call in (n for n in walk(node.value) if isinstance(n, ast.Call)):
                    _call_limits(call, where, f"{scope}_{name}", add, where)  # a field and its validators
                    assigned.add(id(call))
        elif isinstance(node, ast.Call) and id(node) not in assigned:
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "call")
            _call_limits(node, f"{scope}:{callee}", f"{scope.replace('.', '_')}_{callee}", add,
                         f"{scope}: {callee}()" if scope else f"{callee}()")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                _CHECK_FUNCS.search(node.name) or _CLINICAL.search(_snake(node.name))):
            _compare_limits(node, f"{scope}.{node.name}" if scope else node.name, add)
    return out


def data_limits(src: SourceFile | None) -> dict[str, Limit]:
    """Clinical bounds in a data file (formulary JSON or YAML): `{"paracetamol": {"max_daily_mg": 4000}}`.
    Keyed by the path of keys; the line is where the key is written."""
    out: dict[str, Limit] = {}
    if src is None:
        return out
    data = _load(src.path, src.text)
    if data is None:
        return out
    clinical_file = bool(_CLINICAL_FILE.search(src.path))

    def line_of(key: str, start: int) -> int:
        for i in range(start, len(src.lines)):
            if re.search(rf"[\"']?{re.escape(key)}[\"']?\s*:", src.lines[i]):
                return i + 1
        return start + 1

    def visit(node: object, path: list[str], start: int) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    continue
                line = line_of(k, start - 1 if start else 0)
                if isinstance(v, (dict, list)):
                    visit(v, [*path, k], line)
                elif isinstance(v, (int, float)) and not isinstance(v, bool) and _BOUND_WORD.search(_snake(k)) \
                        and k.lower() not in _NOT_LIMIT:
                    context = "_".join([*path, k])
                    if clinical_file or _CLINICAL.search(_snake(context)):
                        key = "data:" + "/".join([*path, k])
                        label = "".join(f'["{p}"]' for p in [*path, k])
                        out[key] = Limit(key, label, _kind(_snake(k)) or "max", float(v), line)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                name = item.get("name") or item.get("drug") or item.get("code") if isinstance(item, dict) else None
                visit(item, [*path, str(name if isinstance(name, str) else i)], start)

    visit(data, [], 0)
    return out


def _load(path: str, text: str) -> object | None:
    try:
        if path.endswith(".json"):
            return json.loads(text)
        import yaml  # PyYAML: installed with semgrep's and bandit's dependencies

        return yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - unreadable data is no limit (and no finding)
        return None


def _dict_limits(d: ast.Dict, key: str, context: str, add: _Add) -> None:
    for k, v in zip(d.keys, d.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
            continue
        label = f'{key.rsplit(".", 1)[-1]}["{k.value}"]'
        if isinstance(v, ast.Dict):
            _dict_limits(v, f"{key}[{k.value}]", f"{context}_{k.value}", add)
        elif _BOUND_WORD.search(_snake(k.value)):
            add(f"{key}[{k.value}]", label, _kind(_snake(k.value)), number(v), k.lineno, f"{context}_{k.value}")


def _call_limits(call: ast.Call, key: str, context: str, add: _Add, shown: str) -> None:
    """`MaxValueValidator(400)` and `max_*=`/`min_*=` keyword arguments; `shown` names the owner."""
    callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if callee in ("MaxValueValidator", "MinValueValidator") and call.args:
        add(f"{key}:{callee}", f"{shown} {callee}", "max" if callee.startswith("Max") else "min",
            number(call.args[0]), call.lineno, context)
    for kw in call.keywords:
        if kw.arg and _BOUND_WORD.search(kw.arg) and kw.arg not in _NOT_LIMIT:
            add(f"{key}:{kw.arg}", kw.arg if _CLINICAL.search(kw.arg) else f"{shown} {kw.arg}",
                _kind(kw.arg), number(kw.value), kw.value.lineno, f"{context}_{kw.arg}")


def _compare_limits(fn: ast.FunctionDef | ast.AsyncFunctionDef, fq: str, add: _Add) -> None:
    """`if dose_mg > 4000: raise ...`: the literal bounds the value (above: a maximum); `min(dose, 4000)`
    caps it (a maximum), `max(dose, 0.5)` floors it (a minimum)."""
    for node in walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max") \
                and len(node.args) == 2 and not node.keywords:
            values = [number(a) for a in node.args]
            if sum(v is not None for v in values) == 1:
                other = node.args[0] if values[0] is None else node.args[1]
                kind = "max" if node.func.id == "min" else "min"
                add(f"{fq}:{node.func.id}", f"{node.func.id}({ast.unparse(other)}, …)", kind,
                    next(v for v in values if v is not None), node.lineno, f"{fn.name}_{_names(other)}")
            continue
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, op, right = node.left, node.ops[0], node.comparators[0]
        value, other, flipped = number(right), left, False
        if value is None:
            value, other, flipped = number(left), right, True
        if value is None or number(other) is not None:
            continue
        upper = isinstance(op, (ast.Gt, ast.GtE)) != flipped
        if not isinstance(op, (ast.Gt, ast.GtE, ast.Lt, ast.LtE)):
            continue
        # The compared name is context only: renaming a local keeps the limit's identity.
        context = f"{fn.name}_{_names(other)}"
        kind = "max" if upper else "min"
        add(f"{fq}:{kind}", f"{ast.unparse(other)} {'>' if upper else '<'} …", kind, value, node.lineno, context)


def _names(node: ast.AST) -> str:
    return "_".join(n.id if isinstance(n, ast.Name) else n.attr for n in walk(node)
                    if isinstance(n, (ast.Name, ast.Attribute)))


class SafetyLimitLoosened(ChangeRule):
    """## What it does
    Compares every numeric safety limit on a dose, rate, concentration, quantity or frequency at the
    base and the head of a change: validator keyword arguments (`max_*`, `min_*`), `MaxValueValidator`
    / `MinValueValidator` (on any field of a patient-data model, too: a pulse or a ventilator rate),
    constants and settings (`MAX_DAILY_DOSE_MG = 4000`), formulary data (dict
    entries such as `{"max_daily_mg": 4000}`, in Python or in JSON/YAML data files) and comparisons in `clean`/`validate`/check functions
    (`if dose_mg > 4000: raise ValidationError`). It reports a maximum raised, a minimum lowered, or a
    limit removed, with before -> after and the factor.

    Limits are matched by their place (class, function, field and name), never by line, so
    reformatting, renaming a local variable or moving a function to another module stays quiet.

    ## Why is this bad?
    A dose limit raised tenfold looks harmless line by line: the new number is still "a bound", so a
    whole-file check finds nothing. Tenfold dosing errors are the classic fatal medication error.
    Every loosened limit needs the medical director's or pharmacy's sign-off.

    Severity: high; critical from a factor of 10 upward.

    ## Example
    ```python
    class Prescription(models.Model):
        dose_mg = models.DecimalField(validators=[MaxValueValidator(4000)])  # was 400
    ```

    Use instead:
    ```python
    class Prescription(models.Model):
        dose_mg = models.DecimalField(validators=[MaxValueValidator(400)])
    ```
    or, when the new limit is intended, have pharmacy approve the change (`--approved-by pharmacy`).
    """

    code = "WG801"
    name = "safety-limit-loosened"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 1284
    summary = "A dose, rate, concentration, quantity or frequency limit was raised, lowered or removed."

    VALID = (
        Refactor(  # reformatted and the local renamed: the limit is the same
            before="""\
            def validate_dose(dose_mg):
                if dose_mg > 4000:
                    raise ValueError("too much")
            """,
            after="""\
            def validate_dose(requested_mg):
                if (requested_mg
                        > 4000):
                    raise ValueError("too much")
            """),
        Refactor(  # tightened: safer, no approval needed for the limit
            before="MAX_DAILY_DOSE_MG = 4000\n", after="MAX_DAILY_DOSE_MG = 3000\n", path="pharmacy/settings.py"),
        Refactor(  # not a clinical limit
            before="MAX_UPLOAD_FILES = 4\n", after="MAX_UPLOAD_FILES = 40\n", path="pharmacy/settings.py"),
        Refactor(  # annotations without a value hold no limit (this once crashed the rule)
            before="""\
            class Dose:
                max_dose_mg: int
            """,
            after="""\
            class Dose:
                max_dose_mg: int
                unit: str
            """, path="pharmacy/limits.py"),
        Refactor(  # formulary data reordered and reindented: the same limits
            before='{"drugs": [{"name": "paracetamol", "max_daily_mg": 4000}, {"name": "ibuprofen", '
                   '"max_daily_mg": 1200}]}\n',
            after="""\
            {
              "drugs": [
                {"name": "ibuprofen", "max_daily_mg": 1200},
                {"name": "paracetamol", "max_daily_mg": 4000}
              ]
            }
            """, path="pharmacy/formulary.json"),
    )
    INVALID = (
        Dangerous(
            before="""\
            from django.core.validators import MaxValueValidator
            from django.db import models


            class Prescription(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=2,
                                              validators=[MaxValueValidator(400)])
            """,
            after="""\
            from django.core.validators import MaxValueValidator
            from django.db import models


            class Prescription(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=2,
                                              validators=[MaxValueValidator(4000)])
            """,
            line=7, path="pharmacy/models.py"),
        Dangerous(
            before="""\
            def validate_infusion(rate_ml_h):
                if rate_ml_h > 250:
                    raise ValueError("rate too high")
            """,
            after="""\
            def validate_infusion(rate_ml_h):
                if rate_ml_h > 500:
                    raise ValueError("rate too high")
            """,
            line=2, path="pharmacy/checks.py"),
        Dangerous(
            before="""\
            FORMULARY = {
                "paracetamol": {"max_daily_mg": 4000, "min_interval_h": 4},
            }
            """,
            after="""\
            FORMULARY = {
                "paracetamol": {"max_daily_mg": 4000, "min_interval_h": 1},
            }
            """, line=2, path="pharmacy/formulary.py"),
        Dangerous(
            before="""\
            def paediatric_dose(weight_kg, mg_per_kg):
                return min(weight_kg * mg_per_kg, 500)
            """,
            after="""\
            def paediatric_dose(weight_kg, mg_per_kg):
                return min(weight_kg * mg_per_kg, 5000)
            """, line=2, path="pharmacy/dosing.py"),
        Dangerous(
            before="""\
            {
              "drugs": [
                {"name": "paracetamol",
                 "max_daily_mg": 4000}
              ]
            }
            """,
            after="""\
            {
              "drugs": [
                {"name": "paracetamol",
                 "max_daily_mg": 40000}
              ]
            }
            """, line=4, path="pharmacy/formulary.json"),
        Dangerous(
            before="""\
            MAX_DAILY_DOSE_MG = 4000
            MIN_INTERVAL_HOURS = 4
            """, after="MIN_INTERVAL_HOURS = 4\n", line=1, path="pharmacy/settings.py"),
    )

    def run(self) -> list[Finding]:
        deltas = [d for d in self.changes.deltas.values() if not _test_file(d)]
        before: dict[str, tuple[FileDelta, Limit]] = {}
        after: dict[str, tuple[FileDelta, Limit]] = {}
        for d in deltas:
            for key, lim in limits(d.before, self._patient_classes("base", d.old_path)).items():
                before.setdefault(key, (d, lim))
            for key, lim in limits(d.after, self._patient_classes("head", d.path)).items():
                after.setdefault(key, (d, lim))
        for d in self.changes.data.values():  # formulary data: JSON and YAML files
            for key, lim in data_limits(d.before).items():
                before.setdefault(f"{d.path}:{key}", (d, lim))
            for key, lim in data_limits(d.after).items():
                after.setdefault(f"{d.path}:{key}", (d, lim))
        for key, (d_old, old) in before.items():
            new_pair = after.get(key)
            if new_pair is None:
                # Removed: report in the same file (the limit's neighbourhood) when it still exists.
                target = self.changes.deltas.get(d_old.path) or self.changes.data.get(d_old.path)
                if target is not None and target.after is not None:
                    self.report(target, target.head_line(old.line), f"{old.label} {fmt(old.value)} → removed: the {old.kind}imum "
                                f"no longer bounds the value", severity=Severity.CRITICAL if old.kind == "max"
                                else Severity.HIGH, properties={"before": old.value, "after": None})
                continue
            d_new, new = new_pair
            if old.kind != new.kind or old.value == new.value:
                continue
            looser = new.value > old.value if old.kind == "max" else new.value < old.value
            if not looser:
                continue
            factor = _factor(old.value, new.value)
            shown = f", ×{fmt(round(factor, 1))}" if factor is not None else ""
            severity = Severity.CRITICAL if factor is None or factor >= 10 else Severity.HIGH
            self.report(d_new, new.line, f"{new.label} {fmt(old.value)} → {fmt(new.value)}{shown} "
                        f"({'maximum raised' if old.kind == 'max' else 'minimum lowered'})", severity=severity,
                        properties={"before": old.value, "after": new.value, "factor": factor})
        return self.findings


    def _patient_classes(self, side: str, path: str | None) -> frozenset[str]:
        """Classes of the file that are patient-data models, or abstract bases/mixins of one."""
        models = self.changes.models(side)
        if models is None or path is None:
            return frozenset()
        todo, seen = list(models.patient), set(models.patient)
        while todo:
            info = models.models.get(todo.pop())
            for b in info.bases if info is not None else ():
                found = models.lookup(b)
                if found is not None and found.qualname not in seen:
                    seen.add(found.qualname)
                    todo.append(found.qualname)
        return frozenset(models.models[q].name for q in seen if q in models.models and models.models[q].path == path)


def _factor(old: float, new: float) -> float | None:
    lo, hi = sorted((abs(old), abs(new)))
    if lo == 0 or (old < 0) != (new < 0):
        return None  # to or from zero (or across it): no factor, the limit is effectively gone
    return hi / lo


def _test_file(d: FileDelta) -> bool:
    src = d.after or d.before
    return src is not None and src.looks_like_test
