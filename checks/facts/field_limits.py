"""Where a model field's limits actually live, beyond its own validators (for the dosage rules).

A numeric model field is range-checked when a limit is found on the way its value takes to the row:
- the model's own `clean()` / `save()` / `full_clean()` comparing `self.<field>` (with a `raise`);
- a ModelForm or ModelSerializer bound to the model (`Meta.model`) that exposes the field and checks it:
  `clean_<field>()` / `validate_<field>()`, or `clean()` / `validate(attrs)` comparing
  `cleaned_data["<field>"]` / `attrs.get("<field>")` (a comparison and a `raise`/`add_error`); a declared form or
  DRF field with `min_value=`/`max_value=` (or Min/Max validators); DRF `Meta.extra_kwargs` with both.
  Whatever the comparison is against counts: a literal, a constant or setting (`settings.MAX_DOSE_MG`), or a
  formulary row (`self.drug.max_single_dose_mg`).
- A value passes through a form or serializer only if every form, serializer and admin that exposes the field
  checks it: a Django admin with no custom `form` (or one that does not check it) is a path that does not.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..names import ImportMap, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

if TYPE_CHECKING:
    from .django_models import ModelIndex

NAME = "field_limits"
_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_MODEL_METHODS = frozenset({"clean", "save", "full_clean", "clean_fields"})
_DATA = frozenset({"cleaned_data", "attrs", "data", "validated_data", "value", "values"})
_ADMIN_BASES = ("ModelAdmin", "SimpleHistoryAdmin", "VersionAdmin")
_CAPS = frozenset({"lt", "lte", "in", "range"})  # lookups that put an upper bound on a field


@dataclass
class ClassLimits:
    qualname: str
    kind: str  # "form" | "serializer" | "admin" | "other"
    path: str
    line: int
    meta_model: str | None = None
    fields: list[str] | None = None  # Meta.fields; None = not given; ["__all__"] = all
    exclude: list[str] = field(default_factory=list)
    declared: dict[str, bool] = field(default_factory=dict)  # declared field -> it carries min and max
    checked: dict[str, str] = field(default_factory=dict)  # field -> evidence ("clean_dose_mg() at forms.py:12")
    self_checked: dict[str, str] = field(default_factory=dict)  # `self.<field>` compared in clean()/save()
    form: str | None = None  # ModelAdmin.form
    readonly: list[str] = field(default_factory=list)

    def exposes(self, name: str) -> bool:
        if name in self.exclude or name in self.readonly:
            return False
        if name in self.declared:
            return True
        if self.fields is None:
            return self.kind == "admin"  # a ModelAdmin without `fields` shows every editable field
        return name in self.fields or "__all__" in self.fields


def _kind(bases: list[str]) -> str:
    names = [last_part(b) for b in bases]
    if any(n.endswith(_ADMIN_BASES) or n == "ModelAdmin" for n in names):
        return "admin"
    if any("Serializer" in n for n in names):
        return "serializer"
    if any("Form" in n for n in names):
        return "form"
    return "other"


def _strings(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, ast.Constant) and node.value == "__all__":
        return ["__all__"]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return None


def _bounded_call(call: ast.Call, imports: ImportMap) -> bool:
    """`forms.DecimalField(min_value=0, max_value=5000)`, or Min/Max validators."""
    kw = {k.arg for k in call.keywords}
    if {"min_value", "max_value"} <= kw:
        return True
    for k in call.keywords:
        if k.arg == "validators" and isinstance(k.value, (ast.List, ast.Tuple)):
            names = {last_part(imports.qualname(v.func if isinstance(v, ast.Call) else v) or "") for v in k.value.elts}
            if any(n.startswith("Min") for n in names) and any(n.startswith("Max") for n in names):
                return True
    return False


def _data_key(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The field an expression reads: `cleaned_data["dose_mg"]`, `attrs.get("dose_mg")`, a local alias."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        base = node.value
        if isinstance(base, ast.Attribute):
            base_name = base.attr
        else:
            base_name = base.id if isinstance(base, ast.Name) else ""
        if base_name in _DATA:
            return node.slice.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        base = node.func.value
        base_name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
        if base_name in _DATA:
            return node.args[0].value
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    return None


def _self_attr(node: ast.AST, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    return None


def _rejects(fn: ast.AST) -> bool:
    """The method turns a value away: `raise ...` or `self.add_error(...)`."""
    return any(isinstance(n, ast.Raise) or (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                                           and n.func.attr == "add_error") for n in walk(fn))


def _compared(fn: ast.AST, key, whole_value: str | None = None) -> set[str]:
    """Fields compared with <, <=, >, >= in `fn` (`value` itself counts as `whole_value`)."""
    aliases: dict[str, str] = {}
    for n in walk(fn):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            k = key(n.value, {})
            if k:
                aliases[n.targets[0].id] = k
    if whole_value:
        args = fn.args.args if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        for a in args[1:2]:  # clean_x(self) reads cleaned_data; validate_x(self, value) gets the value
            aliases[a.arg] = whole_value
    out: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.Compare) and any(isinstance(op, _ORDER) for op in n.ops):
            for side in (n.left, *n.comparators):
                k = key(side, aliases)
                if k:
                    out.add(k)
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("min", "max")
              and len(n.args) > 1):
            for operand in n.args:  # clamping: min(dose, MAX_DOSE)
                k = key(operand, aliases)
                if k:
                    out.add(k)
    return out


def _class(node: ast.ClassDef, src: SourceFile, imports: ImportMap) -> ClassLimits | None:
    bases = [imports.qualname(b) or "" for b in node.bases]
    info = ClassLimits(qualname=f"{imports.module}.{node.name}", kind=_kind(bases), path=src.path, line=node.lineno)
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for m in stmt.body:
                if not (isinstance(m, ast.Assign) and len(m.targets) == 1 and isinstance(m.targets[0], ast.Name)):
                    continue
                name = m.targets[0].id
                if name == "model":
                    info.meta_model = imports.qualname(m.value)
                elif name == "fields":
                    info.fields = _strings(m.value)
                elif name == "exclude":
                    info.exclude = _strings(m.value) or []
                elif name == "constraints":
                    for fld, where in _constrained(m.value, imports):
                        info.self_checked.setdefault(fld, f"{where} ({_at(src, m)})")
                elif name == "extra_kwargs" and isinstance(m.value, ast.Dict):
                    for k, v in zip(m.value.keys, m.value.values):
                        if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Dict):
                            keys = {x.value for x in v.keys if isinstance(x, ast.Constant)}
                            if {"min_value", "max_value"} <= keys:
                                info.checked[k.value] = f"Meta.extra_kwargs min_value/max_value ({_at(src, m)})"
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if name == "form":
                info.form = imports.qualname(stmt.value)
            elif name in ("readonly_fields", "fields", "exclude") and info.kind == "admin":
                values = _strings(stmt.value) or []
                if name == "readonly_fields":
                    info.readonly = values
                elif name == "fields":
                    info.fields = values
                else:
                    info.exclude = values
            elif isinstance(stmt.value, ast.Call) and last_part(imports.qualname(stmt.value.func) or "").endswith(
                    "Field"):
                info.declared[name] = _bounded_call(stmt.value, imports)
                if info.declared[name]:
                    info.checked[name] = f"{node.name}.{name} min_value/max_value ({_at(src, stmt)})"
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and _rejects(stmt):
            where = f"{node.name}.{stmt.name}() ({_at(src, stmt)})"
            for prefix in ("clean_", "validate_"):
                if stmt.name.startswith(prefix) and stmt.name != prefix:
                    target = stmt.name[len(prefix):]
                    if target in _compared(stmt, _data_key, whole_value=target):
                        info.checked.setdefault(target, where)
            if stmt.name in ("clean", "validate"):
                for f in _compared(stmt, _data_key):
                    info.checked.setdefault(f, where)
            if stmt.name in _MODEL_METHODS:
                for f in _compared(stmt, _self_attr):
                    info.self_checked.setdefault(f, where)
    if info.checked or info.self_checked or info.meta_model or info.kind == "admin":
        return info
    return None


def _constrained(constraints: ast.expr, imports: ImportMap) -> list[tuple[str, str]]:
    """Fields a database `CheckConstraint` caps: `Q(dose__lte=F("max_dose"))`, `Q(dose__in=Doses.values)`,
    `Q(dose__range=(0, 50))`. The database refuses any other value, whatever path wrote it."""
    out: list[tuple[str, str]] = []
    for call in walk(constraints):
        if not (isinstance(call, ast.Call) and last_part(imports.qualname(call.func) or "") == "CheckConstraint"):
            continue
        name = next((str(k.value.value) for k in call.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)),
                    "")
        for k in call.keywords:
            if k.arg not in ("check", "condition"):
                continue
            for q in walk(k.value):
                if isinstance(q, ast.Call) and last_part(imports.qualname(q.func) or "") == "Q":
                    out += [(kw.arg.rsplit("__", 1)[0], f"CheckConstraint {name}".rstrip()) for kw in q.keywords
                            if kw.arg and kw.arg.rsplit("__", 1)[-1] in _CAPS and "__" in kw.arg]
    return out


def _at(src: SourceFile, node: ast.AST) -> str:
    return f"{src.path.rsplit('/', 1)[-1]}:{getattr(node, 'lineno', 0)}"


@dataclass
class FileLimits:
    classes: list[ClassLimits] = field(default_factory=list)
    admin: list[tuple[str, str | None]] = field(default_factory=list)  # (model, ModelAdmin or None = the default)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileLimits | None:
    if src.tree is None or src.looks_like_migration or src.looks_like_test:
        return None
    out = FileLimits(classes=[c for c in (_class(n, src, imports) for n in src.tree.body
                                          if isinstance(n, ast.ClassDef)) if c])
    for n in src.tree.body:
        if isinstance(n, ast.ClassDef):  # @admin.register(Order)
            for d in n.decorator_list:
                if isinstance(d, ast.Call) and "admin" in (imports.qualname(d.func) or "") \
                        and last_part(imports.qualname(d.func) or "") == "register":
                    out.admin += [(imports.qualname(a) or "", f"{imports.module}.{n.name}") for a in d.args]
        call = n.value if isinstance(n, ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "register" \
                and call.args and "admin" in (imports.qualname(call.func) or ast.unparse(call.func)):
            admin_cls = imports.qualname(call.args[1]) if len(call.args) > 1 else None
            first = call.args[0]
            for m in first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]:
                out.admin.append((imports.qualname(m) or "", admin_cls))
    return out if out.classes or out.admin else None


@dataclass
class FieldLimits:
    classes: dict[str, ClassLimits] = field(default_factory=dict)
    admin: list[tuple[str, str | None]] = field(default_factory=list)

    def limit(self, models: set[str], fld: str, resolve, bases: list[str]) -> tuple[str | None, str | None]:
        """(where the limit is, a path that skips it). `models`: the model and the subclasses that inherit the
        field; `resolve` maps a model reference to its qualname; `bases`: the model and its project bases."""
        for b in bases:
            c = self.classes.get(b)
            if c is not None and fld in c.self_checked:
                return f"{c.self_checked[fld]} checks it", None
        checked: list[str] = []
        unchecked: list[str] = []
        for c in self.classes.values():
            if c.kind in ("form", "serializer") and c.meta_model and resolve(c.meta_model) in models and c.exposes(fld):
                (checked if fld in c.checked else unchecked).append(
                    f"{c.checked[fld]}" if fld in c.checked else f"{last_part(c.qualname)} ({c.path}:{c.line})")
        for ref, admin in self.admin:
            if resolve(ref) not in models:
                continue
            c = self.classes.get(admin or "")
            if c is None:
                unchecked.append("the Django admin's default form" if admin is None else f"admin {last_part(admin)}")
                continue
            if not c.exposes(fld):
                continue
            form = self.classes.get(c.form or "")
            if form is not None and fld in form.checked:
                checked.append(form.checked[fld])
            else:
                unchecked.append(f"admin {last_part(c.qualname)} ({c.path}:{c.line})")
        if checked and not unchecked:
            return "; ".join(checked[:2]) + " checks it", None
        return None, unchecked[0] if checked and unchecked else None


def limit_in_project(limits: FieldLimits | None, models: ModelIndex, q: str, fld: str) -> tuple[str | None, str | None]:
    """(where the limit on model `q`'s field is, a path that skips it), looking through the model's project bases
    (their `clean()`/`save()`) and every model that inherits the field (their forms, serializers and admins)."""
    if limits is None:
        return None, None
    bases: list[str] = []
    todo = [q]
    while todo and len(bases) < 12:
        cur = todo.pop()
        if cur in bases or cur not in models.models:
            continue
        bases.append(cur)
        todo += [m.qualname for m in (models.lookup(b) for b in models.models[cur].bases) if m is not None]

    def resolve(ref: str) -> str | None:
        found = models.lookup(ref)
        return found.qualname if found is not None else None

    family = {q} | {m for m in models.django if q in _ancestors(m, models)}
    return limits.limit(family, fld, resolve, bases)


def _ancestors(q: str, models: ModelIndex) -> set[str]:
    out: set[str] = set()
    todo = [q]
    while todo and len(out) < 12:
        cur = todo.pop()
        info = models.models.get(cur)
        for b in info.bases if info is not None else []:
            found = models.lookup(b)
            if found is not None and found.qualname not in out:
                out.add(found.qualname)
                todo.append(found.qualname)
    return out


def merge(per_file: dict[str, FileLimits], vocab: Vocabulary) -> FieldLimits:
    return FieldLimits(classes={c.qualname: c for fl in per_file.values() for c in fl.classes},
                       admin=[a for fl in per_file.values() for a in fl.admin])


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
