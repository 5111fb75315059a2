"""The origins of a value inside one function: a small, flow-insensitive taint analysis.

Names are followed through their assignments (`x = …`, tuple targets, `for x in …`, `with … as x`,
`x += …`) up to `MAX_NAME_DEPTH` hops; a DB-API cursor carries what was executed with it
(`cur.execute(q, params)` then `cur.fetchall()`). Sanitiser calls, internal ids (`patient.pk`) and
non-revealing calls (`len`, `.count()`, comparisons) stop a value. A `hook` adds the model-aware
sources in phase 2; without it (phase 1) only the spelling-based sources of `sources.py` count.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable

from ..names import ImportMap, last_part
from ..walk import walk
from .model import BODY, FIELD, INSTANCE, OBJECTS, PARAM, PHI, RECORD, REQUEST, REQUEST_FIELD, URL, Origin
from .sanitisers import NON_REVEALING, is_sanitiser
from .sources import (
    BODY_ATTRS,
    CLINICAL_MESSAGE_PARSERS,
    DICOM_DATASETS,
    DICOM_IDENTIFIERS,
    DICOM_READERS,
    DICOM_WHY,
    DUMP_FUNCS,
    DUMP_METHODS,
    NEVER,
    PATIENT_SPELLINGS,
    PHONE_NUMBERS,
    PHONE_WHY,
    QUERY_ATTRS,
    REQUEST_URL_METHODS,
    query_key,
    spelled_patient,
    spelled_request,
)

MAX_NAME_DEPTH = 4
Hook = Callable[[ast.expr], "list[Origin] | None"]
_RENDERS = frozenset({"str", "repr", "format", "join", "format_html", "pformat", "pprint"})
_CURSOR_EXEC = frozenset({"execute", "executemany"})
_GROWS = frozenset({"append", "extend", "insert", "add"})  # what is put in a list or set is in it
# Values derived from these kinds still identify the patient (`dob.year`, `record["x"]`).
_DERIVED = frozenset({PHI, RECORD, REQUEST, URL, FIELD, BODY})
# Frames and rows built with identifier columns: `df.assign(nhs_number=…)`, `DataFrame(rows, columns=[…])`.
# What a login form sends to name the account signing in.
ACCOUNT_FIELDS = frozenset({"email", "username", "user_name", "login", "phone", "mobile", "phone_number"})
_WHOLE = frozenset({BODY, REQUEST, URL})  # the whole request: one field of it, named at run time, is not
_FRAME_BUILDERS = frozenset({"assign", "rename", "DataFrame", "from_records", "read_csv", "read_excel", "dict"})
_FORM_DATA = frozenset({"cleaned_data", "validated_data", "initial_data"})
_BOUND_DATA = _FORM_DATA | {"data"}  # what a bound form or serializer holds of what it was given
# Calls whose result is built from their arguments. Other calls pass their arguments' origins on only when
# written inside the sink call itself (`log.info("%s", fmt(patient.mrn))`), not through a variable
# (`pid = create_patient(record)` returns an id).
_PASS = frozenset({"str", "repr", "format", "join", "format_html", "pformat", "pprint", "dumps", "dict", "list",
                   "tuple", "set", "sorted", "reversed", "OrderedDict", "deepcopy", "copy", "getattr", "mark_safe",
                   "escape", "quote", "urlencode", "urljoin", "encode", "decode", "strip", "upper", "lower",
                   "title", "replace", "lstrip", "rstrip", "capitalize", "isoformat", "strftime", "append", "extend",
                   "update", "setdefault", "loads", "gettext", "_", "ugettext", "gettext_lazy", "render_to_string"})
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def parameters(fn: ast.AST) -> list[str]:
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return []
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args)]
    return names + [x.arg for x in a.kwonlyargs]


class FunctionFlow:
    def __init__(self, fn: ast.AST, imports: ImportMap, strong: frozenset[str], phi_fields: frozenset[str],
                 *, hook: Hook | None = None, instance_params: frozenset[str] = frozenset(),
                 sanitisers: tuple[str, ...] = (), why_instance: str = "", klass: str | None = None,
                 nodes: list[ast.AST] | None = None, outer: FunctionFlow | None = None,
                 own_records: dict[str, str] | None = None) -> None:
        self.fn = fn
        self.outer = outer  # the enclosing function's flow: a closure's free names are bound there
        self.imports = imports
        self.strong = strong
        self.phi_fields = phi_fields
        self.hook = hook
        self.sanitisers = sanitisers
        self.instance_params = instance_params
        self.why_instance = why_instance
        self.klass = klass
        self.own_records = own_records or {}  # attributes of `self` that hold a whole record (record_attributes)
        # Names of rows/dicts/frames the function reads an identifier out of (`record["nhs_number"]`), or
        # builds with identifier columns: printed or logged whole, they are patient records.
        self.records: dict[str, str] = {}
        self.params = {p for p in parameters(fn) if p not in ("self", "cls")}
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs):
                if a.annotation is not None and _dicom_dataset(a.annotation, imports):
                    self.records[a.arg] = f"{DICOM_WHY} (`{a.arg}: {ast.unparse(a.annotation)}`)"
        self._signin: bool | None = None  # computed when a login-form field is read (`signin`)
        self.env: dict[str, list[ast.expr]] = {}
        self._memo: dict[str, list[Origin]] = {}
        if nodes is None:
            nodes = walk(fn) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else _module_level(fn)
        for n in nodes:
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    self._bind(t, n.value)
            elif isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and n.value is not None:
                self._bind(n.target, n.value)
            elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._bind(n.target, n.iter)
            elif isinstance(n, ast.withitem) and n.optional_vars is not None:
                self._bind(n.optional_vars, n.context_expr)
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _CURSOR_EXEC
                  and isinstance(n.func.value, ast.Name)):
                self.env.setdefault(n.func.value.id, []).append(ast.Tuple(elts=list(n.args), ctx=ast.Load()))
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _GROWS
                  and isinstance(n.func.value, ast.Name) and n.args):  # `lines.append(f"{patient}")`
                self.env.setdefault(n.func.value.id, []).append(n.args[-1])
            read = _identifier_read(n, strong)
            if read:
                self.records.setdefault(read[0], f"`{read[1]}` is read ({getattr(n, 'lineno', 0)})")
        # Names bound to rows of a model (`p = Patient.objects.get(...)`, `for v in Visit.objects.filter(...)`):
        # objects of that model, whatever they are called (whether it holds PHI is judged with the project model).
        self.typed: dict[str, str] = {}
        for name, values in self.env.items():
            for v in values:
                col = _identifier_column(v, strong)
                if col and name not in self.records:
                    self.records[name] = f"built with a `{col}` column ({v.lineno})"
                model = rows_of(v, imports)
                if model:
                    self.typed.setdefault(name, model)

    def _bind(self, target: ast.AST, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.env.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._bind(t.value if isinstance(t, ast.Starred) else t, value)

    # -- origins ------------------------------------------------------------------------------
    def origins(self, exprs: list[ast.expr]) -> list[Origin]:
        out: list[Origin] = []
        for e in exprs:
            for o in self._o(e, 0, frozenset()):
                if o not in out:
                    out.append(o)
        return out

    def _o(self, node: ast.AST, depth: int, seen: frozenset[str]) -> list[Origin]:
        if self.hook is not None and isinstance(node, (ast.Name, ast.Attribute, ast.Call)):
            found = self.hook(node)
            if found is not None:  # [] : the hook knows it carries nothing (a label of the row, not a person's name)
                return found
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.Name):
            return self._name(node, depth, seen)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, depth, seen)
        if isinstance(node, ast.Call):
            return self._call(node, depth, seen)
        if isinstance(node, ast.Subscript):
            key = query_key(node)
            if key is not None:
                return [Origin(PHI, ast.unparse(node), node.lineno)] if key.lower() in self.strong else []
            s = node.slice
            if isinstance(s, ast.Constant) and isinstance(s.value, str):
                return self._field(node, node.value, s.value, depth, seen)
            if isinstance(s, ast.Attribute) and s.attr.isupper():  # a column constant: `row[Columns.SAMPLE_NAME]`
                return self._field(node, node.value, s.attr.lower(), depth, seen)
            found = self._o(node.value, depth, seen)
            if _named(ast.unparse(node.value)) and (isinstance(s, ast.Constant) or isinstance(s, ast.Tuple) and all(
                    isinstance(e, ast.Constant) for e in s.elts) or self._plain_keys(s)):
                # `ds[0x7005, 0x1063]`, `ds[tag] for tag in ("StationName", "KVP")`: one element of a record held in a
                # name, none of them an identifier, not the record
                return [o for o in found if o.kind != RECORD]
            # `request.POST[name]`: one field, not the whole body; `rows[i]` is still one of the rows
            return [o for o in found if o.kind not in _WHOLE] if isinstance(s, ast.Name) else found
        if isinstance(node, (ast.Compare, ast.Lambda)) or (
                isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return []
        if isinstance(node, ast.JoinedStr):  # f"*******{patient_id[7:]}": a masked tail shows no identifier
            values = [v for i, v in enumerate(node.values) if not (i and _masked_tail(node.values[i - 1], v))]
            if len(values) < len(node.values):
                return self._o(ast.JoinedStr(values=values), depth, seen)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self._o(node.elt, depth, seen)
        if isinstance(node, ast.DictComp):
            return self._o(node.value, depth, seen)
        out: list[Origin] = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr, ast.keyword, ast.comprehension)):
                for o in self._o(child, depth, seen):
                    if o not in out:
                        out.append(o)
        return out

    def _name(self, node: ast.Name, depth: int, seen: frozenset[str]) -> list[Origin]:
        name = node.id
        if name.lower() in self.strong:
            return [Origin(PHI, name, node.lineno)]
        if name.lower() in PHONE_NUMBERS:
            return [Origin(PHI, name, node.lineno, why=PHONE_WHY)]
        if name in self.instance_params:
            return [Origin(INSTANCE, name, node.lineno, why=self.why_instance)]
        out: list[Origin] = []
        if name in self.records:
            out.append(Origin(RECORD, name, node.lineno, why=f"a patient record: {self.records[name]}"))
        if name in self.params:
            out.append(Origin(PARAM, name, node.lineno, param=name))
        if spelled_patient(node) or name in self.typed:
            out.append(Origin(INSTANCE, name, node.lineno, model=self.typed.get(name, "")))
        if self.outer is not None and name not in self.env and name not in self.params and not out:
            return self.outer._name(node, depth, seen)
        if name in seen or depth >= MAX_NAME_DEPTH:
            return out
        if depth == 0 and name in self._memo:
            return out + [o for o in self._memo[name] if o not in out]
        found: list[Origin] = []
        for v in self.env.get(name, ()):
            for o in self._o(v, depth + 1, seen | {name}):
                if o not in found:
                    found.append(o)
        if depth == 0:
            self._memo[name] = found
        return out + [o for o in found if o not in out]

    def _attribute(self, node: ast.Attribute, depth: int, seen: frozenset[str]) -> list[Origin]:
        attr = node.attr
        if attr in NEVER:
            return []
        line = node.lineno
        label = ast.unparse(node)
        if attr == "__dict__":
            return self._dump(node.value, label, line, depth, seen)
        if attr in QUERY_ATTRS and spelled_request(node.value):
            return [Origin(URL, label, line)]
        if attr in BODY_ATTRS and spelled_request(node.value):
            return [Origin(BODY, label, line)]
        if attr in _BOUND_DATA and isinstance(node.value, ast.Name) and self._bound_to_body(node.value.id):
            # `form = PlainForm(request.POST)`, then `form.cleaned_data`: the request body, validated or not
            return [Origin(BODY, label, line, why=f"{node.value.id} is bound to the request body")]
        if attr.lower() in self.strong or attr in DICOM_IDENTIFIERS:
            return [Origin(PHI, label, line)]
        if attr in self.own_records and isinstance(node.value, ast.Name) and node.value.id == "self":
            return [Origin(RECORD, label, line, why=self.own_records[attr])]
        base = self._o(node.value, depth, seen)
        if attr.lower() in PHONE_NUMBERS and not _own_or_settings(node.value) \
                and not any(o.kind in OBJECTS and o.model for o in base):
            # `message.phone_number` of an object whose model is unknown: a person's number, like a variable of
            # that name (a known model's field is judged by its model below)
            return [Origin(PHI, label, line, why=PHONE_WHY)]
        out: list[Origin] = []
        for o in base:
            if o.kind in OBJECTS and attr in self.phi_fields:
                out.append(Origin(PHI, label, line, model=o.model))
            elif o.kind == RECORD and (_named(o.label) or _named(ast.unparse(node.value))) \
                    and attr not in _WHOLE_VIEWS:
                # one attribute of a record (`resource.resource_type`): the identifier only if it is one
                if attr in self.phi_fields:
                    out.append(Origin(PHI, label, line))
            elif o.kind == PARAM and not o.attrs:
                out.append(Origin(PARAM, label, line, param=o.param, attrs=(attr,)))
            elif o.kind in _DERIVED or o.kind == PARAM:
                out.append(o)
        return out

    def _dump(self, obj: ast.expr, label: str, line: int, depth: int, seen: frozenset[str]) -> list[Origin]:
        if spelled_request(obj):
            return [Origin(REQUEST, label, line)]
        out: list[Origin] = []
        for o in self._o(obj, depth, seen):
            if o.kind in OBJECTS:
                out.append(Origin(RECORD, label, line, why=o.why, model=o.model))
            elif o.kind == PARAM and not o.attrs:
                out.append(Origin(PARAM, label, line, param=o.param, attrs=("__dict__",)))
            elif o.kind in _DERIVED:
                out.append(o)
        return out

    def _call(self, node: ast.Call, depth: int, seen: frozenset[str]) -> list[Origin]:
        func = node.func
        q = self.imports.qualname(func)
        short = last_part(q) if q else (func.attr if isinstance(func, ast.Attribute) else "")
        if short in NON_REVEALING or is_sanitiser(q or short, self.sanitisers):
            return []
        key = query_key(node)
        if key is not None:
            return [Origin(PHI, ast.unparse(node), node.lineno)] if key.lower() in self.strong else []
        if q in CLINICAL_MESSAGE_PARSERS:
            return [Origin(RECORD, ast.unparse(node), node.lineno,
                           why="a parsed HL7 message: its PID segment holds the patient's identifiers")]
        if q in DICOM_READERS:
            return [Origin(RECORD, ast.unparse(node), node.lineno, why=DICOM_WHY)]
        if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "getlist") and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                return self._field(node, func.value, node.args[0].value, depth, seen)
            # `request.data.get(name)`: one field whose name is decided at run time, not the whole body
            return [o for o in self._o(func.value, depth, seen) if o.kind not in _WHOLE]
        if short in DUMP_FUNCS and node.args:
            return self._dump(node.args[0], ast.unparse(node), node.lineno, depth, seen)
        if isinstance(func, ast.Attribute) and func.attr in DUMP_METHODS and not node.args:
            return self._dump(func.value, ast.unparse(node), node.lineno, depth, seen)
        if short == "getattr" and len(node.args) >= 2:  # one field of the object, not the object itself
            field = node.args[1]
            if isinstance(field, ast.Constant) and isinstance(field.value, str) and field.value.isidentifier():
                read = ast.copy_location(ast.Attribute(value=node.args[0], attr=field.value, ctx=ast.Load()), node)
                return self._attribute(read, depth, seen)
            return [Origin(PARAM, ast.unparse(node), node.lineno, param=o.param, attrs=("?",)) if o.kind == PARAM
                    and not o.attrs else o for o in self._o(node.args[0], depth, seen) if o.kind not in OBJECTS]
        out: list[Origin] = []
        if isinstance(func, ast.Attribute):
            if func.attr in REQUEST_URL_METHODS and spelled_request(func.value):
                return [Origin(URL, ast.unparse(node), node.lineno)]
            recv = self._o(func.value, depth, seen)
            if func.attr in ("get_full_name", "get_short_name"):
                out += [Origin(PHI, ast.unparse(node), node.lineno, model=o.model) for o in recv if o.kind in OBJECTS][:1]
            out += [o for o in recv if (o.kind not in OBJECTS or func.attr in ("format", "join")) and not (
                o.kind == RECORD and _named(o.label) and func.attr.startswith(_ONE_VALUE_METHODS))]
        renders = short in _RENDERS  # only these show an object itself; other calls return something else
        if short not in _PASS and depth > 0:
            return out
        # `get_value_kw("ManufacturerModelName", dataset)`: a getter handed a record and the name of one field
        # returns that field, not the record
        key = next((a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    and a.value.isidentifier()), None) if not renders and short not in _PASS else None
        for a in (*node.args, *(k.value for k in node.keywords)):
            for found in self._o(a, depth, seen):
                o: Origin | None = found
                if key is not None and found.kind == RECORD:
                    o = Origin(PHI, ast.unparse(node), node.lineno) if key in DICOM_IDENTIFIERS or \
                        key.lower() in self.strong else None
                elif key is not None and found.kind == PARAM and not found.attrs:
                    o = Origin(PARAM, ast.unparse(node), node.lineno, param=found.param, attrs=(key,))
                if o is not None and o not in out and (renders or o.kind not in OBJECTS):
                    out.append(o)
        return out


    def _plain_keys(self, s: ast.expr) -> bool:
        """`tag` bound only by `for tag in TAGS` over a literal list of strings (here or one name away), none of which
        names an identifier."""
        if not isinstance(s, ast.Name):
            return False
        values = self.env.get(s.id, [])
        values = [w for v in values for w in (self.env.get(v.id, [v]) if isinstance(v, ast.Name) else [v])]
        keys = [e.value for v in values if isinstance(v, (ast.List, ast.Tuple)) for e in v.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return bool(values) and all(isinstance(v, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts) for v in values) and not any(
            k in DICOM_IDENTIFIERS or k.lower() in self.strong or k in self.phi_fields for k in keys)

    def _field(self, node: ast.expr, holder: ast.expr, key: str, depth: int, seen: frozenset[str]) -> list[Origin]:
        """One named field of a dict, row, form or request: `x["k"]`, `x.get("k")`."""
        label, line = ast.unparse(node), node.lineno
        if key.lower() in self.strong or key in DICOM_IDENTIFIERS:
            return [Origin(PHI, label, line)]
        if key.lower().replace("-", "_") in CREDENTIAL_HEADERS and _request_part(holder):
            return [Origin(REQUEST, label, line, why=CREDENTIALS)]
        if key in NEVER:
            return []
        if key in self.phi_fields and self._form_data(holder):
            return [Origin(FIELD, label, line, why=self.klass or "")]
        if _patient_rows_key(key) and (self._form_data(holder) or spelled_request(holder)
                                       or (isinstance(holder, ast.Attribute) and holder.attr in BODY_ATTRS
                                           and spelled_request(holder.value))):
            # `validated_data.pop("patient_set")`: the nested patient records a client sent
            return [Origin(RECORD, label, line, why=f"{SENT_RECORDS} (`{key}`)")]
        out: list[Origin] = []
        for o in self._o(holder, depth, seen):
            if o.kind in (RECORD, REQUEST, URL, BODY):  # one field of a whole record: PHI if its name says so
                if o.kind != RECORD and key.lower() in ACCOUNT_FIELDS and self.signin():
                    continue  # the login form's e-mail or username: the account signing in, not a patient
                if key in self.phi_fields:
                    out.append(Origin(PHI, label, line, why=REQUEST_FIELD if o.kind != RECORD else ""))
            elif o.kind == PARAM and not o.attrs:
                out.append(Origin(PARAM, label, line, param=o.param, attrs=(key,)))
            elif o.kind not in OBJECTS:
                out.append(o)
        return out

    def _bound_to_body(self, name: str) -> bool:
        """`name` holds a form or serializer built from the request body: `Form(request.POST)`,
        `Serializer(data=request.data)`, `Form(self.flatten(request.POST))`."""
        for v in self.env.get(name, ()):
            if isinstance(v, ast.Call):
                given = [*v.args, *(k.value for k in v.keywords if k.arg in (None, "data"))]
                if any(isinstance(n, ast.Attribute) and n.attr in BODY_ATTRS and spelled_request(n.value)
                       for g in given for n in walk(g)):
                    return True
        return False

    def signin(self) -> bool:
        if self._signin is None:
            self._signin = _signs_in(self.fn)
        return self._signin

    def _form_data(self, node: ast.expr) -> bool:
        """`self.cleaned_data`, `serializer.validated_data`, `validated_data` (a serializer's create())."""
        if isinstance(node, ast.Attribute):
            return node.attr in _FORM_DATA
        return isinstance(node, ast.Name) and node.id in ("validated_data", "cleaned_data") and self.klass is not None


# Queryset methods that still hold the model's rows (as opposed to values(), count(), exists(), ...).
_ROW_METHODS = frozenset({"get", "first", "last", "earliest", "latest", "create", "filter", "exclude", "all",
                          "order_by", "select_related", "prefetch_related", "distinct", "only", "defer", "using"})


# Request headers and cookies that carry the caller's credentials: logged, they let whoever reads the log act as them.
CREDENTIALS = "the caller's credentials (a session or bearer token)"
CREDENTIAL_HEADERS = frozenset({"authorization", "http_authorization", "cookie", "http_cookie", "sessionid",
                                "x_api_key", "http_x_api_key", "proxy_authorization"})


SENT_RECORDS = "the patient records the client sent"  # read out of the request, not dumped: the sink is the finding


def _patient_rows_key(key: str) -> bool:
    """`patient`, `patients`, `patient_set` (DRF's and Django's default name for the rows of a reverse relation)."""
    low = key.lower().removesuffix("_set")
    return low in PATIENT_SPELLINGS or low.removesuffix("s") in PATIENT_SPELLINGS


def _own_or_settings(node: ast.expr) -> bool:
    """`self.x`, `cls.x`, `settings.SMS.x`: the object's own configuration (a sender's number), not a person's."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("self", "cls", "settings", "config", "conf")


def _request_part(node: ast.expr) -> bool:
    """`request.headers`, `request.META`, `request.COOKIES` (of `request` or `self.request`)."""
    return isinstance(node, ast.Attribute) and node.attr in ("headers", "META", "COOKIES") and spelled_request(node.value)


def _signs_in(fn: ast.AST) -> bool:
    """Authentication code: it reads a password from the request (`request.POST.get("password")`) or hides one
    from error reports (`@sensitive_variables("password")`, `@sensitive_post_parameters`), or it is a login
    step by name (`throttle_login`, `clear_throttled_login`)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if "login" in fn.name.lower() or "signin" in fn.name.lower():
        return True
    for d in fn.decorator_list:
        name = _callee_name(d) if isinstance(d, ast.Call) else getattr(d, "attr", getattr(d, "id", ""))
        if name in ("sensitive_variables", "sensitive_post_parameters"):
            return True
    return any(query_key(n) in _PASSWORD_KEYS or (
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args
        and isinstance(n.args[0], ast.Constant) and n.args[0].value in _PASSWORD_KEYS
        and isinstance(n.func.value, ast.Attribute) and n.func.value.attr in BODY_ATTRS) for n in walk(fn))


_PASSWORD_KEYS = frozenset({"password", "passwd", "password1"})


def rows_of(value: ast.expr, imports: ImportMap) -> str | None:
    """The model whose rows `value` holds, as the code names it: `Patient.objects.filter(...).first()`,
    `get_object_or_404(Patient, pk=pk)`; None for anything else."""
    if not isinstance(value, ast.Call):
        return None
    if last_part(imports.qualname(value.func) or "") == "get_object_or_404" and value.args \
            and isinstance(value.args[0], (ast.Name, ast.Attribute)):
        return imports.qualname(value.args[0])
    node: ast.expr = value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _ROW_METHODS:
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager") \
            and isinstance(node.value, (ast.Name, ast.Attribute)):
        return imports.qualname(node.value)
    return None


def _masked_tail(before: ast.expr, value: ast.expr) -> bool:
    """`"*******"` then `{patient_id[7:]}` in an f-string: the identifier's start replaced by mask characters."""
    return isinstance(before, ast.Constant) and isinstance(before.value, str) \
        and re.search(r"[*xX#]{3,}$", before.value) is not None and isinstance(value, ast.FormattedValue) \
        and isinstance(value.value, ast.Subscript) and isinstance(value.value.slice, ast.Slice) \
        and value.value.slice.lower is not None and value.value.slice.upper is None


def _named(label: str) -> bool:
    """A record held by a name (`row`, `self._ds`), not one built in the expression itself."""
    return label.removeprefix("self.").isidentifier()


def record_attributes(tree: ast.Module, imports: ImportMap) -> dict[str, dict[str, str]]:
    """Per class name: the attributes that hold a DICOM dataset (`self._ds = ds` for a parameter `ds: Dataset`,
    `self.ds = pydicom.dcmread(path)`, a class-level `ds: Dataset`), each with why. Read in any method of the class
    (`self._ds`), they are patient records."""
    out: dict[str, dict[str, str]] = {}
    for cls in (n for n in walk(tree) if isinstance(n, ast.ClassDef)):
        found: dict[str, str] = {}
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and _dicom_dataset(stmt.annotation, imports):
                found[stmt.target.id] = f"{DICOM_WHY} (`{stmt.target.id}: {ast.unparse(stmt.annotation)}`)"
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            typed = {a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args, *stmt.args.kwonlyargs)
                     if a.annotation is not None and _dicom_dataset(a.annotation, imports)}
            for n in walk(stmt):
                if not isinstance(n, ast.Assign) or len(n.targets) != 1:
                    continue
                t, v = n.targets[0], n.value
                if not (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"):
                    continue
                if (isinstance(v, ast.Name) and v.id in typed) or (
                        isinstance(v, ast.Call) and imports.qualname(v.func) in DICOM_READERS):
                    found.setdefault(t.attr, f"{DICOM_WHY} (`self.{t.attr} = {ast.unparse(v)}`, line {n.lineno})")
        if found:
            out[cls.name] = found
    return out


def _dicom_dataset(annotation: ast.expr, imports: ImportMap) -> bool:
    """`Dataset`, `pydicom.Dataset`, `Dataset | None`, `Optional[Dataset]`: one dataset. Not a container or a union
    with other types (`Iterator[tuple[Dataset, Dataset]]` of DIMSE status sets, `Dataset | Path`)."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        nones = [x for x in sides if isinstance(x, ast.Constant) and x.value is None]
        return len(nones) == 1 and _dicom_dataset(next(x for x in sides if x not in nones), imports)
    if isinstance(annotation, ast.Subscript) and last_part(imports.qualname(annotation.value) or "") == "Optional":
        return _dicom_dataset(annotation.slice, imports)
    return isinstance(annotation, (ast.Name, ast.Attribute)) and imports.qualname(annotation) in DICOM_DATASETS


def _identifier_read(n: ast.AST, strong: frozenset[str]) -> tuple[str, str] | None:
    """`row["nhs_number"]`, `row.get("Date of Birth")`, `row[Columns.DATE_OF_BIRTH]`, a getter helper's
    `value_of(row, "dob")` -> ("row", what was read): the function reads an identifier out of the row, so the row
    is a patient record."""
    if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name):
        holder, key = n.value, n.slice
    elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args
          and isinstance(n.func.value, ast.Name)):
        holder, key = n.func.value, n.args[0]
    elif (isinstance(n, ast.Call) and len(n.args) >= 2 and isinstance(n.args[0], ast.Name)
          and _callee_name(n) not in _NOT_GETTERS):
        holder, key = n.args[0], n.args[1]
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        spelled = key.value  # a column heading spells it with spaces: "Date of Birth"
    elif isinstance(key, ast.Attribute) and key.attr.isupper():
        spelled = key.attr  # a constant of a columns class: `PatientColumns.DATE_OF_BIRTH`
    else:
        return None
    if re.sub(r"[^a-z0-9]+", "_", spelled.lower()).strip("_") in strong:
        return holder.id, ast.unparse(n)
    return None


# Methods of a record that answer one value about it (`resource.get_resource_type()`), not the record.
_ONE_VALUE_METHODS = ("get_", "is_", "has_")
# Attributes of a table or row that are still all of it (`frame.values`, `frame.T`).
_WHOLE_VIEWS = frozenset({"values", "T", "iloc", "loc", "data", "items", "rows"})
# Calls with an (object, "name") pair that do not read the named value out of the object.
_NOT_GETTERS = frozenset({"setattr", "hasattr", "delattr", "isinstance", "issubclass"})


def _identifier_column(value: ast.expr, strong: frozenset[str]) -> str | None:
    n: ast.expr = value
    while isinstance(n, ast.Call):  # the calls of a chain: `pd.read_csv(p).assign(…).drop(…)`
        found = _builder_column(n, strong)
        if found:
            return found
        n = n.func.value if isinstance(n.func, ast.Attribute) else n.func
    return None


def _builder_column(n: ast.Call, strong: frozenset[str]) -> str | None:
    if _callee_name(n) in _FRAME_BUILDERS:
        for k in n.keywords:
            if k.arg and k.arg.lower() in strong:
                return k.arg
        for c in walk(n):
            if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.lower() in strong:
                return c.value
    return None


def _callee_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _module_level(tree: ast.AST) -> list[ast.AST]:
    """Statements of a module outside functions and classes (sinks at module level)."""
    body = getattr(tree, "body", [])
    out: list[ast.AST] = []
    for stmt in body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out += walk(stmt)
    return out


def module_assignments(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """`name = value` at module level (`logger = logging.getLogger(__name__)`), by name."""
    out: dict[str, list[ast.expr]] = {}
    for s in tree.body:
        if isinstance(s, ast.Assign):
            for t in s.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(s.value)
    return out
