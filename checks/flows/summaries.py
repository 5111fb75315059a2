"""Phase 1: per-file flow facts (function summaries), cached per file hash with the other facts.

For every module-level function and method: its parameters, and for every call it makes to a
function that may be the project's own, what each argument carries (`Origin`s: a strong
identifier, a patient-spelled object, a whole record or request, or one of the caller's own
parameters, which is how hand-offs chain across modules). Also, per file: classes whose `__str__`
renders PHI fields, identifiers the code reads from query strings (evidence that URLs carry them),
and mask lists in settings (`{"app.Model": ["name", "phone"]}` under a key path naming masking or
exclusion). Global model-signal receivers (`@receiver(post_save)` with no sender) mark their
`instance` parameter: it is every model's instance, patient records included.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..facts.clinical_functions import caps_against_max
from ..facts.django_code import writes_in
from ..facts.signals import global_signals
from ..names import ImportMap, dotted, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .local import FunctionFlow, module_assignments, parameters, record_attributes
from .model import LOG, OUTPUT, PARAM, Origin, Sink
from .sinks import sink_of
from .sources import query_key

NAME = "flows"
# Calls that can never reach a project function: the standard library and common frameworks.
_LIBRARY = ("django.", "rest_framework.", "logging.", "json.", "os.", "sys.", "re.", "datetime.", "typing.",
            "collections.", "celery.", "requests.", "httpx.", "functools.", "itertools.", "math.", "decimal.",
            "uuid.", "pathlib.", "time.", "csv.", "hashlib.", "pandas.", "numpy.", "structlog.", "urllib.")
# Celery: `task.delay(...)`, `task.apply_async(...)`, `task.s(...)` in a chain or group run the task.
_ENQUEUE = frozenset({"delay", "apply_async", "s", "si", "signature"})
_MASK_KEY = re.compile(r"mask|redact|scrub|sensitive|exclu|hide|hidden|obfuscat|anonymi|private", re.IGNORECASE)
_MODEL_LABEL = re.compile(r"^\w+\.\w+$")
_DOSE_NAME = re.compile(r"dose|dosage|dosing|_mg\b|mg_per|per_kg", re.IGNORECASE)
_LIMIT_CALL = re.compile(r"clamp|^cap_|_cap$|limit|enforce|max_dose|bound", re.IGNORECASE)


@dataclass(frozen=True)
class ArgFlow:
    position: int | None  # positional index at the call (before dropping `self`), or None for a keyword
    keyword: str | None
    origins: tuple[Origin, ...]


ANY_RECEIVER = "?"  # CallSite.callee prefix: a method called on an object whose class is unknown


@dataclass(frozen=True)
class CallSite:
    caller: str  # qualname of the calling function
    callee: str  # unresolved reference: "pkg.mod.func", "pkg.mod.Class.method" (self./cls. calls)
    line: int
    bound: bool  # `self.m(...)`: the callee's first parameter is the receiver
    args: tuple[ArgFlow, ...]


@dataclass(frozen=True)
class FnInfo:
    qualname: str
    line: int
    params: tuple[str, ...]  # as declared, `self`/`cls` included
    writes: bool = False  # changes rows itself: `obj.save()`, `qs.update(...)`, `X.objects.create(...)`
    models: tuple[str, ...] = ()  # what it queries, as written: `X.objects...`, `get_object_or_404(X, ...)`
    table: bool = False  # a dispatch table (a dict of functions), called as `TABLE[key](...)`


@dataclass(frozen=True)
class MaskList:
    path: str
    line: int
    model: str  # "app.Model" as written
    fields: tuple[str, ...]


@dataclass
class FileFlows:
    path: str
    functions: list[FnInfo] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    str_renders: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (class qualname, fields)
    query_params: list[tuple[int, str]] = field(default_factory=list)  # (line, key) read from query strings
    mask_lists: list[MaskList] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)  # global model-signal receivers (qualnames)
    dose_calls: list[tuple[str, bool]] = field(default_factory=list)  # (dose function called, result capped there)
    # (caller, callee reference): every call of a possible project function, a Celery task it enqueues
    # (`task.delay(...)`, `task.s(...)`) and a project function it hands over to be run (`Thread(target=f)`)
    edges: list[tuple[str, str]] = field(default_factory=list)
    # (function, parameter, sink): the parameter goes whole to a log or print inside the function (a log wrapper)
    sink_params: list[tuple[str, str, Sink]] = field(default_factory=list)
    # (function, parameter): every use of the parameter is an argument of a call (`def note(text): fml_log(text)`)
    forwarded: list[tuple[str, str]] = field(default_factory=list)


def global_receiver(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """`@receiver(post_save)` / `@receiver([pre_delete, post_delete])` without `sender`: every model."""
    return bool(global_signals(fn, imports))


def receiver_why(path: str, line: int) -> str:
    return f"`instance` of a signal receiver for every model ({path.rsplit('/', 1)[-1]}:{line})"


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileFlows | None:
    assert src.tree is not None
    out = FileFlows(src.path)
    strong, phi = vocab.strong_identifiers(), vocab.phi_field_names()
    sanitisers = tuple(vocab.phi_sanitisers)
    prefix = imports.module

    def function(fn: ast.FunctionDef | ast.AsyncFunctionDef, klass: str | None) -> None:
        owner = klass or prefix
        q = f"{owner}.{fn.name}" if owner else fn.name
        params = tuple(parameters(fn))
        nodes = walk(fn)
        out.functions.append(FnInfo(q, fn.lineno, params, writes_in(fn, imports),
                                    _queried_models(nodes, imports)))
        receiver = global_receiver(fn, imports) and "instance" in params
        if receiver:
            out.receivers.append(q)
        made: list[FunctionFlow] = []

        def function_flow() -> FunctionFlow:
            if not made:
                made.append(FunctionFlow(fn, imports, strong, phi, sanitisers=sanitisers,
                                         instance_params=frozenset({"instance"}) if receiver else frozenset(),
                                         why_instance=receiver_why(src.path, fn.lineno) if receiver else "",
                                         klass=klass, nodes=nodes,
                                         own_records=own_records.get(last_part(klass) if klass else "")))
            return made[0]

        wrapped: list[tuple[str, str, Sink]] = []
        in_sinks: set[int] = set()  # the names inside what logs and prints are given
        in_calls: set[int] = set()  # the names inside what any call is given
        for n in nodes:
            if not isinstance(n, ast.Call):
                continue
            given = {id(x) for a in (*n.args, *n.keywords) for x in ast.walk(a) if isinstance(x, ast.Name)}
            in_calls |= given
            logs = _wrapped_sink(n, q, params, imports, function_flow, module_env)
            if logs:
                wrapped += logs
                in_sinks |= given
            out.edges += [(q, ref) for ref in _runs(n, imports, klass)]
            callee, bound = resolve_callee(n, imports, klass)
            if callee is None:
                continue
            if _DOSE_NAME.search(last_part(callee)) and not callee.startswith(ANY_RECEIVER):
                out.dose_calls.append((callee, _capped(n, fn, nodes)))
            flow = function_flow()
            args: list[ArgFlow] = []
            for i, a in enumerate(n.args):
                if isinstance(a, ast.Starred):
                    break
                found = flow.origins([a])
                if found:
                    args.append(ArgFlow(i, None, tuple(found)))
            for k in n.keywords:
                if k.arg is not None:
                    found = flow.origins([k.value])
                    if found:
                        args.append(ArgFlow(None, k.arg, tuple(found)))
            if args:
                out.calls.append(CallSite(q, callee, n.lineno, bound, tuple(args)))

        # A log wrapper only logs the parameter (`def fml_log(msg)`); a helper that also queries or saves with it
        # (`execute_query(query, params)` logging its params) is itself what logs patient data.
        loads = {p: [id(n) for n in nodes if isinstance(n, ast.Name) and n.id == p and isinstance(n.ctx, ast.Load)]
                 for p in params if p not in ("self", "cls")}
        out.sink_params += [w for w in wrapped if all(i in in_sinks for i in loads.get(w[1], ()))]
        out.forwarded += [(q, p) for p, ids in loads.items() if ids and all(i in in_calls for i in ids)]

    def visit(body: list[ast.stmt], klass: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                kq = f"{prefix}.{stmt.name}" if prefix else stmt.name
                visit(stmt.body, kq)
                _str_renders(stmt, kq, phi, classes, out)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function(stmt, klass)

    classes = {s.name: s for s in src.tree.body if isinstance(s, ast.ClassDef)}
    own_records = record_attributes(src.tree, imports) if "pydicom" in src.text else {}
    module_env = module_assignments(src.tree)
    visit(src.tree.body, None)
    _canvases(src.tree, imports, out)
    _dispatch_tables(src.tree, imports, out)
    if "GET" in src.text or "query_params" in src.text:
        for n in src.nodes:
            key = query_key(n)
            if key is not None and key.lower() in strong:
                out.query_params.append((getattr(n, "lineno", 0), key))
    if src.looks_like_settings:
        _mask_lists(src, out)
    return out if (out.functions or out.str_renders or out.query_params or out.mask_lists) else None


def _wrapped_sink(call: ast.Call, qualname: str, params: tuple[str, ...], imports: ImportMap,
                  flow: Callable[[], FunctionFlow], module_env: dict[str, list[ast.expr]]) -> list[tuple[str, str, Sink]]:
    """`def fml_log(msg): logger.info("FAMILY LINKAGE: %s" % msg)`: a log or print whose payload carries one of
    the function's parameters whole (formatted, not a field of it); its callers decide what is logged."""
    found = sink_of(call, imports, lambda n: flow().env.get(n, []) + module_env.get(n, []))
    if found is None or found[0].kind not in (LOG, OUTPUT):
        return []
    return [(qualname, o.param, found[0]) for o in flow().origins(found[1])
            if o.kind == PARAM and not o.attrs and o.param in params and o.param not in ("self", "cls")]


def _canvases(tree: ast.Module, imports: ImportMap, out: FileFlows) -> None:
    """A Celery canvas bound at module level (`forget = lookup.s() | scrub.s()`, `chain(a.s(), b.s())`) is
    a function of its own: enqueuing it runs each task in it."""
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            continue
        q = f"{imports.module}.{stmt.targets[0].id}" if imports.module else stmt.targets[0].id
        tasks = [ref for n in walk(stmt.value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr in _ENQUEUE for ref in _runs(n, imports, None)]
        if tasks:
            out.functions.append(FnInfo(q, stmt.lineno, ()))
            out.edges += [(q, ref) for ref in tasks]


def _dispatch_tables(tree: ast.Module, imports: ImportMap, out: FileFlows) -> None:
    """A module-level dict of project functions (`INGEST = {"phenopackets": ingest_phenopackets, ...}`) is a
    function of its own: calling through it (`INGEST[kind](data)`) may run any of them."""
    for stmt in tree.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            continue
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
            stmt.target if isinstance(stmt, ast.AnnAssign) else None
        if not (isinstance(target, ast.Name) and isinstance(stmt.value, ast.Dict)):
            continue
        runs = [ref for v in stmt.value.values if isinstance(v, (ast.Name, ast.Attribute))
                for ref in [imports.qualname(v)] if ref and _may_be_project(ref, v, imports)]
        if runs:
            q = f"{imports.module}.{target.id}" if imports.module else target.id
            out.functions.append(FnInfo(q, stmt.lineno, (), table=True))
            out.edges += [(q, ref) for ref in runs]


def _runs(call: ast.Call, imports: ImportMap, klass: str | None) -> list[str]:
    """The project functions a call may run: the callee, the task it enqueues, the functions it is handed, the
    dispatch table it calls through (`HANDLERS[kind](data)`)."""
    func = call.func
    if isinstance(func, ast.Subscript) and isinstance(func.value, (ast.Name, ast.Attribute)):
        table = imports.qualname(func.value)
        return [table] if table and _may_be_project(table, func.value, imports) else []
    if isinstance(func, ast.Attribute) and func.attr in _ENQUEUE:
        target = imports.qualname(func.value)
        return [target] if target and _may_be_project(target, func.value, imports) else []
    callee, _ = resolve_callee(call, imports, klass)
    out = [callee] if callee else []
    for a in (*call.args, *(k.value for k in call.keywords)):
        if isinstance(a, (ast.Name, ast.Attribute)):
            ref = imports.qualname(a)
            if ref and _may_be_project(ref, a, imports):
                out.append(ref)
    return out


def _may_be_project(q: str, node: ast.expr, imports: ImportMap) -> bool:
    """`q` (the qualname of `node`) can name one of the project's functions: not a library, a builtin or
    a local variable."""
    if q.startswith(_LIBRARY) or ("." not in q and q not in imports.defined):
        return False
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and (root.id in imports.aliases or root.id in imports.defined)


def _capped(call: ast.Call, fn: ast.AST, nodes: list[ast.AST]) -> bool:
    """The caller limits what the call returns: `min(calc(…), MAX)`, `clamp_dose(calc(…))`, or binds it
    and caps against a maximum in the same function (`if dose > drug.max_dose_mg: raise`)."""
    for n in nodes:
        if isinstance(n, ast.Call) and any(a is call for a in n.args):
            name = last_part(dotted(n.func))
            if (name == "min" and len(n.args) >= 2) or _LIMIT_CALL.search(name):
                return True
        if isinstance(n, ast.Assign) and n.value is call:
            return caps_against_max(fn)
    return False


def resolve_callee(call: ast.Call, imports: ImportMap, klass: str | None) -> tuple[str | None, bool]:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        return (f"{klass}.{func.attr}", True) if klass else (None, False)
    q = imports.qualname(func)
    if not q or q.startswith(_LIBRARY):
        return None, False
    if "." not in q and q not in imports.defined:
        return None, False  # a builtin or a local variable's method
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id not in imports.aliases \
            and func.value.id not in imports.defined:
        # A method of a local object (`item.update_from_dict(...)`): its class is unknown, so the method is found
        # by name, when its name is specific (two words or more) and one project class defines it (index.lookup).
        return (f"{ANY_RECEIVER}.{func.attr}", True) if "_" in func.attr.strip("_") else (None, False)
    return q, False


def _str_renders(cls: ast.ClassDef, qualname: str, phi: frozenset[str], classes: dict[str, ast.ClassDef],
                 out: FileFlows) -> None:
    """The PHI fields `__str__` shows: read as `self.<field>`, or by the methods and properties it reaches
    (`return self.name()`, `return self.display`), found on the class or on a base class of the same module (an abstract `Person`)."""
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for klass in reversed(_same_module_mro(cls, classes)):
        methods.update({m.name: m for m in klass.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))})
    for name in ("__str__", "__unicode__"):
        if name not in methods:
            continue
        shown = [methods[name]]
        for m in shown:  # grows: what `__str__` reaches through `self.name()` or a property `self.display`
            shown += [methods[n.attr] for n in walk(m) if isinstance(n, ast.Attribute) and dotted(n.value) == "self"
                      and n.attr in methods and methods[n.attr] not in shown]
        reads = sorted({n.attr for m in shown for n in walk(m) if isinstance(n, ast.Attribute)
                        and dotted(n.value) == "self" and n.attr in phi})
        if reads:
            out.str_renders.append((qualname, tuple(reads)))
            return


def _queried_models(nodes: list[ast.AST], imports: ImportMap) -> tuple[str, ...]:
    """References the function queries or builds rows of (`Sample.objects.filter(...)`, `get_object_or_404(Sample,
    ...)`, `Sample(...)`), resolved to models when the project model is known (other classes drop out there)."""
    out: dict[str, None] = {}
    for n in nodes:
        if isinstance(n, ast.Attribute) and n.attr in ("objects", "_default_manager") \
                and isinstance(n.value, (ast.Name, ast.Attribute)):
            ref = imports.qualname(n.value)
        elif isinstance(n, ast.Call) and n.args and last_part(imports.qualname(n.func) or "") in (
                "get_object_or_404", "get_list_or_404"):
            ref = imports.qualname(n.args[0]) if isinstance(n.args[0], (ast.Name, ast.Attribute)) else None
        elif isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute)) \
                and last_part(dotted(n.func) or "")[:1].isupper():
            ref = imports.qualname(n.func)
            ref = ref if ref and _may_be_project(ref, n.func, imports) else None
        else:
            continue
        if ref:
            out[ref] = None
    return tuple(out)


def _same_module_mro(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], depth: int = 0) -> list[ast.ClassDef]:
    """`cls` then its bases defined in the same module, depth first (enough for a model's abstract bases)."""
    out = [cls]
    for b in cls.bases:
        if depth < 4 and isinstance(b, ast.Name) and b.id in classes and classes[b.id] is not cls:
            out += [k for k in _same_module_mro(classes[b.id], classes, depth + 1) if k not in out]
    return out


def _mask_lists(src: SourceFile, out: FileFlows) -> None:
    """`{"exclude": {"fields": {"app.Patient": ["name", "phone"]}}}`: a list of a model's fields under a key
    path that names masking or exclusion (a bare `fields` key could as well be an allow-list)."""
    assert src.tree is not None
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict):
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            _mask_dict(src, stmt.value, [dotted(target) or ""], out)


def _mask_dict(src: SourceFile, node: ast.Dict, path: list[str], out: FileFlows) -> None:
    if len(path) > 6:
        return
    for k, v in zip(node.keys, node.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
            continue
        if isinstance(v, ast.Dict):
            _mask_dict(src, v, [*path, k.value], out)
        elif (isinstance(v, (ast.List, ast.Tuple)) and _MODEL_LABEL.match(k.value)
              and any(_MASK_KEY.search(p) for p in path)):
            fields = tuple(e.value for e in v.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
            out.mask_lists.append(MaskList(src.path, k.lineno, k.value, fields))
