"""Phase 2: the question the PHI rules ask: *what patient data reaches this sink call?*

`FlowCheck` is a mixin for checks, listed before `Check` so its `applies_to` holds (`class PhiInLog(FlowCheck,
Check)`; it keeps the `self.phi` scope of `ScopedPhiCheck` too):
`self.flows_at(call)` returns the sink the call is and the `Flow`s into it, or None. Sources
are those of `sources.py` plus the project model's: fields of patient models (and their
PHI-reading properties), and patient objects whose model's `__str__` renders PHI fields. A value
that enters the function through a parameter is traced back through its callers (index.FlowIndex).
"""
from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..facts.django_code import NAME as CODE
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..facts.patient_data import OWN_RECORD_WHY, PERSON_NOUN, ROW_LABELS
from ..facts.phi_access import PhiScope, ScopedPhiCheck
from ..facts.urlconf import debug_only_nodes
from ..finding import FlowStep
from ..names import last_part
from .index import NAME, FlowIndex, apply_attrs
from .local import SENT_RECORDS, FunctionFlow, module_assignments, record_attributes
from .model import (
    BODY,
    EXCEPTION,
    FIELD,
    INSTANCE,
    LOG,
    OUTPUT,
    PARAM,
    PHI,
    RECORD,
    RENDERED,
    REQUEST,
    REQUEST_FIELD,
    TASK,
    URL,
    Flow,
    Origin,
    Sink,
    Step,
)
from .sinks import sink_of
from .sources import PHONE_WHY
from .summaries import ANY_RECEIVER, global_receiver, receiver_why, resolve_callee

if TYPE_CHECKING:
    from ..source import SourceFile

# Kinds that are a flow wherever they reach a sink; URL only with evidence, objects only when rendered.
_LEAKS = frozenset({PHI, RECORD, REQUEST, RENDERED})


def shown_fields(model: str, fields: tuple[str, ...], models: ModelIndex | None) -> tuple[str, ...]:
    """The fields `model.__str__` renders that identify a patient: a bare `name` counts on a record that is a
    person (identifying fields, demographics, or configured), not on one that is patient data through a link."""
    why = models.patient_why.get(model, "") if models is not None else ""
    info = models.models.get(model) if models is not None else None
    declared = models.declared_phi_properties(model) if models is not None else set()  # OPAL's Demographics.name
    if info is not None and PERSON_NAME_FIELDS & set(info.fields):  # `Image(name, patient_name)`: the file's name
        return tuple(f for f in fields if f not in ROW_LABELS or f in declared)
    if why.startswith(OWN_RECORD_WHY) or PERSON_NOUN.search(last_part(model)):
        return fields
    return tuple(f for f in fields if f not in ROW_LABELS or f in declared)


# QuerySet methods whose keyword arguments select rows rather than give a row its values.
_LOOKUPS = frozenset({"get", "filter", "exclude", "get_queryset", "exists", "count", "first", "last", "values",
                      "values_list", "only", "defer", "annotate", "order_by", "aggregate", "in_bulk"})
# Fields that hold a person's name: beside one of them, a bare `name` labels the row itself.
PERSON_NAME_FIELDS = frozenset({"patient_name", "first_name", "last_name", "full_name", "given_name", "family_name",
                                "surname", "forename"})
# A finding points at the sink statement. A whole-object dump (`changes = instance.__dict__`) bound a
# few lines above the sink is the statement to fix, so the range starts there (up to this many lines).
DUMP_REACH = 10
FuncNode = ast.FunctionDef | ast.AsyncFunctionDef
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class FlowCheck(ScopedPhiCheck):
    """Mixin: tracks the enclosing function and class, answers `flows_at(call)`."""

    _fns: list[tuple[ast.AST, str | None]]
    _classes: list[str]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        """Not test code (`tests/`, `test_*.py`, `*_test.py`, conftest.py): a test's patients are made up, and its
        logs, raises and requests reach the test runner and its mocks (the index leaves test callers out too)."""
        return not src.looks_like_test

    def _stack(self) -> list[tuple[ast.AST, str | None]]:
        if not getattr(self, "_fns", None):
            self._fns = [(self.ctx.src.tree, None)]  # type: ignore[attr-defined]
            self._classes = []
        return self._fns

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._stack()
        self._classes.append(node.name)

    def leave_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: ast.AST) -> None:
        super().visit_FunctionDef(node)
        stack = self._stack()
        module = self.ctx.imports.module  # type: ignore[attr-defined]
        q = None
        if len(stack) == 1 and len(self._classes) <= 1:  # a module-level function or a method
            q = ".".join(p for p in (module, *self._classes[-1:], node.name) if p)  # type: ignore[attr-defined]
        stack.append((node, q))

    def leave_FunctionDef(self, node: ast.AST) -> None:
        super().leave_FunctionDef(node)
        self._stack().pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    leave_AsyncFunctionDef = leave_FunctionDef

    # -- the question ---------------------------------------------------------------------------
    def flows_at(self, call: ast.Call) -> tuple[Sink, list[Flow]] | None:
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        self._stack()
        if id(call) in ctx.shared("flows:debug-only", lambda: debug_only_nodes(ctx.src.tree) if "DEBUG" in ctx.src.text
                                                          else set()):
            return None  # under `if settings.DEBUG:`: a developer's machine, never production's logs
        scope = self.phi  # its assignments name the loggers; the flow analysis is built only for sinks
        found = sink_of(call, ctx.imports, lambda name: scope.env.get(name, []) + _module_env(ctx, name))
        if found is None:
            found = self._wrapper_sink(call)
        if found is None:
            return None
        return found[0], self.flows_into(*found)

    def _wrapper_sink(self, call: ast.Call) -> tuple[Sink, list[ast.expr]] | None:
        """A call of a project function that logs or prints a parameter whole (`fml_log(f"... {patient}")`): what
        the call passes there is what is logged, so the call is the sink (and the finding, where a change adds it)."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        index: FlowIndex | None = ctx.project.fact(NAME)
        if index is None or not index.sink_params:
            return None
        ref, bound = resolve_callee(call, ctx.imports, self._klass())
        if ref is None:
            return None
        # `item.update_from_dict(...)` on an object of unknown class: the project's methods of that specific name
        targets = index.methods_named(ref) if ref.startswith(ANY_RECEIVER + ".") else [index.lookup(ref)]
        target = next((t for t in targets if t is not None and index.sink_params.get(t)), None)
        if target is None:
            return None
        payload: list[ast.expr] = []
        via: tuple[Step, ...] = ()
        kind = LOG
        for position, name, sink_kind, steps in index.wrapper_params(target, bound or ref.startswith(ANY_RECEIVER)):
            given = [k.value for k in call.keywords if k.arg == name]
            if not given and position is not None and position < len(call.args) \
                    and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
                given = [call.args[position]]
            if given:
                payload += given
                kind, via = (kind, via) if via else (sink_kind, steps)
        if not payload:
            return None
        return Sink(kind, f"{last_part(target)}()", call.lineno, via=via), payload

    def flows_into(self, sink: Sink, payload: list[ast.expr]) -> list[Flow]:
        """The flows of `payload`, evaluated in the enclosing function, into `sink` (any statement that
        lets data out: a call, or a `raise` whose message travels to error trackers)."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        stack = self._stack()
        qualname = stack[-1][1]
        flow = self._flow_of(len(stack) - 1)
        index: FlowIndex | None = ctx.project.fact(NAME)
        flows: list[Flow] = []
        for o in flow.origins(payload):
            flows += self._flows(o, sink, qualname, index)
        return list({f.explain(): f for f in flows}.values())

    def _klass(self) -> str | None:
        if not self._classes:
            return None
        module = self.ctx.imports.module  # type: ignore[attr-defined]
        return f"{module}.{self._classes[-1]}" if module else self._classes[-1]

    def _flow_of(self, level: int) -> FunctionFlow:
        """The flow of the function at `level` of the stack; a nested function's free names are the enclosing one's."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        stack = self._stack()
        fn = stack[level][0]
        nested = level >= 2 and isinstance(fn, FUNCTIONS) and isinstance(stack[level - 1][0], FUNCTIONS)
        return ctx.shared(f"flow:{id(fn)}", lambda: self._function_flow(
            fn, self._flow_of(level - 1) if nested else None))

    def _function_flow(self, fn: ast.AST, outer: FunctionFlow | None = None) -> FunctionFlow:
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        vocab = ctx.vocab
        receiver = isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and global_receiver(fn, ctx.imports)
        return FunctionFlow(
            fn, ctx.imports, vocab.strong_identifiers(), vocab.phi_field_names(), hook=self._hook(fn),
            sanitisers=tuple(vocab.phi_sanitisers),
            instance_params=frozenset({"instance"}) if receiver else frozenset(),
            why_instance=receiver_why(ctx.path, getattr(fn, "lineno", 0)) if receiver else "", klass=self._klass(),
            outer=outer, own_records=self._own_records())

    def _own_records(self) -> dict[str, str] | None:
        """The attributes of the enclosing class that hold a whole record (`self._ds`, a DICOM dataset)."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        if not self._classes or "pydicom" not in ctx.src.text:
            return None
        per_class = ctx.shared("record-attributes", lambda: record_attributes(ctx.src.tree, ctx.imports))
        return per_class.get(self._classes[-1])

    def _hook(self, fn: ast.AST):
        scope: PhiScope = self.phi
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        models: ModelIndex | None = ctx.project.fact(MODELS)
        index: FlowIndex | None = ctx.project.fact(NAME)
        klass = self._klass()
        own = models.lookup(klass) if models is not None and klass else None
        own_model = own.qualname if own is not None and own.qualname in models.patient else None  # type: ignore[union-attr]
        bound = self._row_values(fn) if models is not None and models.patient else {}
        keys = _iterated_keys(fn, set(bound)) if bound else set()  # `for k in data`: field names, not values

        phi = ctx.vocab.phi_field_names()

        def rows(node: ast.expr) -> list[Origin] | None:
            """`Patient.objects.values(...)` rows with PHI columns; `PatientSerializer(p).data`."""
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("values", "values_list") and models is not None:
                model = scope.queryset_model(node.func.value)
                cols = {a.value for a in node.args if isinstance(a, ast.Constant)}
                if model in models.patient and (not cols or cols & phi):
                    return [Origin(RECORD, ast.unparse(node), node.lineno, why=f"rows of {last_part(model)}")]
            if isinstance(node, ast.Attribute) and node.attr in ("data", "validated_data") \
                    and isinstance(node.value, ast.Name):
                for v in scope.env.get(node.value.id, []):
                    if isinstance(v, ast.Call):
                        bound = self._patient_form(ctx.imports.qualname(v.func) or "")
                        if bound:
                            return [Origin(RECORD, ast.unparse(node), node.lineno,
                                           why=f"{last_part(ctx.imports.qualname(v.func))} is bound to {bound}")]
            return None

        def hook(node: ast.expr) -> list[Origin] | None:
            if isinstance(node, ast.Name) and node.id in bound:
                return [Origin(RECORD, node.id, node.lineno, why=bound[node.id])]
            if isinstance(node, ast.Name) and node.id in keys:
                return []
            if own_model and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "self" and node.attr in phi:  # a patient model's own method
                return [Origin(PHI, ast.unparse(node), node.lineno)] if shown_fields(own_model, (node.attr,), models) \
                    else []
            if own_model and isinstance(node, ast.Name) and node.id == "self":
                fields = shown_fields(own_model, index.renders(own_model), models) if index is not None else ()
                kind = RENDERED if fields else INSTANCE
                return [Origin(kind, "self", node.lineno, why=f"{last_part(own_model)}.__str__ renders "
                               f"{', '.join(fields)}" if fields else "")]
            found = rows(node)
            if found:
                return found
            if isinstance(node, (ast.Attribute, ast.Call)):
                read = scope.phi_read(node)
                if read:  # with its model, so a linked row's own label (`bed.name`) is told from a person's name
                    base = node.func.value if isinstance(node, ast.Call) else node.value  # type: ignore[attr-defined]
                    of = scope.instance_model(base) or ""
                    return [Origin(PHI, read, node.lineno, model="" if of.startswith("?") else of)]
            if isinstance(node, (ast.Name, ast.Attribute)) and models is not None:
                model = scope.instance_model(node)  # `visit`, or `visit.patient` through the foreign key
                if not model or model.startswith("?") or model not in models.patient:
                    return None
                fields = shown_fields(model, index.renders(model), models) if index is not None else ()
                label = ast.unparse(node)
                if fields:
                    return [Origin(RENDERED, label, node.lineno,
                                   why=f"{last_part(model)}.__str__ renders {', '.join(fields)}")]
                return [Origin(INSTANCE, label, node.lineno)] if isinstance(node, ast.Name) else None
            return None

        return hook

    def _row_values(self, fn: ast.AST) -> dict[str, str]:
        """Names whose values the function makes a patient row of: `Patient(**data)`, `Patient.objects.create(**data)`,
        `Patient.objects.update_or_create(defaults=data)`, `Patient.objects.import_row(data=data["patient"])`,
        `PatientSerializer(data=data)`. The dict holds the patient's record before it is saved: logged or sent, it
        is the record (-> why). A lookup (`Patient.objects.filter(**criteria)`) is not a row's values."""
        out: dict[str, str] = {}
        for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
            lookup = isinstance(call.func, ast.Attribute) and call.func.attr in _LOOKUPS
            values = [k.value for k in call.keywords if k.arg in ("data", "defaults", "create_defaults", "values", "row")
                      or (k.arg is None and not lookup)]
            # `data` or `data["patient"]`: the dict holds the row's values
            names = {n.id for v in values for n in (v.value if isinstance(v, ast.Subscript) else v,)
                     if isinstance(n, ast.Name)}
            target = self._row_target(call) if names else None
            for name in names if target else ():
                out.setdefault(name, f"the values of a {target} row ({ast.unparse(call.func)}, line {call.lineno})")
        return out

    def _row_target(self, call: ast.Call) -> str | None:
        """The patient model a call makes or changes a row of: the model itself, a queryset or manager of it
        (`Patient.objects.filter(...).update`), or a form or serializer bound to it."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        bound = self._patient_form(ctx.imports.qualname(call.func) or "")
        if bound:
            return bound
        root: ast.expr = call.func
        while isinstance(root, (ast.Attribute, ast.Call)):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if not isinstance(root, ast.Name):
            return None
        found = self._patient_model(ctx.imports.qualname(root) or root.id)
        return last_part(found[0]) if found is not None else None

    def mask_note(self, flows: list[Flow]) -> str:
        """A partial mask list: the project masks some PHI fields of a patient model, not all of them."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        index: FlowIndex | None = ctx.project.fact(NAME)
        models: ModelIndex | None = ctx.project.fact(MODELS)
        if index is None or models is None or not any(f.kind == RECORD for f in flows):
            return ""
        phi = ctx.vocab.phi_field_names()
        for ml in index.mask_lists:
            m = models.lookup(ml.model.rsplit(".", 1)[-1])
            if m is None or m.qualname not in models.patient:
                continue
            left = sorted(f for f in m.fields if f in phi and f not in ml.fields)
            if left:
                return (f"The project's mask list for {ml.model} ({posixpath.basename(ml.path)}:{ml.line}) covers only "
                        f"{', '.join(ml.fields)}; {', '.join(left[:6])} pass unmasked.")
        return ""

    def _patient_form(self, klass: str) -> str | None:
        """The patient model a form/serializer class is bound to (`class Meta: model = Patient`)."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        code, models = ctx.project.fact(CODE), ctx.project.fact(MODELS)
        info = code.classes.get(klass) if code is not None and klass else None
        if info is None and code is not None and klass:
            hits = [c for q, c in code.classes.items() if last_part(q) == last_part(klass)]
            info = hits[0] if len(hits) == 1 else None
        if info is None or not info.meta_model or models is None:
            return None
        m = models.lookup(info.meta_model)
        return m.name if m is not None and m.qualname in models.patient else None

    def _patient_model(self, ref: str) -> tuple[str, ModelIndex] | None:
        """The patient-data model `ref` names (the model of a row an origin was read off), with the model index."""
        models: ModelIndex | None = self.ctx.project.fact(MODELS)  # type: ignore[attr-defined]
        m = models.lookup(ref) if models is not None else None
        return (m.qualname, models) if m is not None and models is not None and m.qualname in models.patient else None

    def _holds_patient_data(self) -> bool:
        """The project has a patient-data model (or its models could not be read: then assume it does)."""
        models: ModelIndex | None = self.ctx.project.fact(MODELS)  # type: ignore[attr-defined]
        return models is None or bool(models.patient)

    def _identifies(self, o: Origin) -> bool:
        """Something read off a row of `o.model` (known from the query that fetched it) can identify a patient: the
        model holds patient data, and a bare `name` is read only off a person's record (a bed's name is its label)."""
        found = self._patient_model(o.model)
        if found is None:
            return False
        field = o.label.rsplit(".", 1)[-1]
        return o.kind != PHI or bool(shown_fields(found[0], (field,), found[1]))

    def _rendered(self, o: Origin, index: FlowIndex) -> Origin:
        """An object of a known model (`p = Patient.objects.get(...)` in a caller) shows PHI when it is
        formatted, if its model is patient data whose `__str__` renders identifying fields."""
        found = self._patient_model(o.model) if o.kind == INSTANCE and o.model else None
        if found is None:
            return o
        q, models = found
        fields = shown_fields(q, index.renders(q), models)
        return Origin(RENDERED, o.label, o.line, why=f"{last_part(q)}.__str__ renders {', '.join(fields)}",
                      model=o.model) if fields else o

    def _leak(self, o: Origin, sink: Sink) -> Origin | None:
        if o.why == PHONE_WHY and sink.kind not in (LOG, OUTPUT, EXCEPTION):
            return None
        if o.model and not self._identifies(o):  # read off a row of a model that holds no patient data
            return None
        if o.kind == FIELD:
            model = self._patient_form(o.why)
            return Origin(PHI, o.label, o.line, why=f"{last_part(o.why)} is bound to {model}") if model else None
        if o.kind == BODY or o.why == REQUEST_FIELD:  # what the client sent: the request's patient details included
            if not self._holds_patient_data():  # a project with no patient records receives none either
                return None
            o = replace(o, why="") if o.why == REQUEST_FIELD else o
        if o.kind == BODY:
            return Origin(REQUEST, o.label, o.line, why="the whole request body") if sink.kind in (LOG, OUTPUT) else None
        if o.kind == INSTANCE and sink.kind == TASK:  # a task argument is serialised whole: every field of the row
            return Origin(RECORD, o.label, o.line, why=o.why or "a patient-model instance, serialised whole")
        return o if o.kind in _LEAKS else None

    def _flows(self, o: Origin, sink: Sink, qualname: str | None, index: FlowIndex | None) -> list[Flow]:
        path = self.ctx.path  # type: ignore[attr-defined]
        end: tuple[Step, ...] = (Step(sink.label), *sink.via) if sink.via else (Step(sink.label, path, sink.line),)
        if o.kind == URL:
            if index is None or not index.query_params:
                return []
            p, line, key = index.query_params[0]
            return [Flow((Step(o.label, path, o.line), *end), o.label, URL, sink.kind, sink.line,
                         why=f"the project reads `{key}` from query strings ({posixpath.basename(p)}:{line})")]
        leak = self._leak(o, sink)
        if leak is not None:
            return [Flow((Step(o.label, path, o.line), *end), o.label, leak.kind, sink.kind, _start(o, leak.kind, sink),
                         why=leak.why)]
        if o.kind != PARAM or index is None or qualname is None or o.param is None:
            return []
        if not o.attrs and sink.kind in (LOG, OUTPUT) and o.param in index.sink_params.get(qualname, {}):
            return []  # a log wrapper's parameter: each call that passes patient data is the finding
        out: list[Flow] = []
        for up, steps in index.incoming(qualname, o.param):
            got = apply_attrs(self._rendered(up, index), o.attrs, index.phi_fields)
            got = self._leak(got, sink) if got is not None else None
            if got is None:
                continue
            if got.kind == PHI and got.label != up.label:  # the field read at the sink names what left: `patient.full_name`
                steps = (Step(got.label, steps[0].path, steps[0].line), *steps[1:])
            here = (Step(o.label, path, o.line),) if o.attrs else ()
            out.append(Flow((*steps, *here, *end), o.label, got.kind, sink.kind, _start(o, got.kind, sink),
                            why=got.why))
        return out


def _iterated_keys(fn: ast.AST, dicts: set[str]) -> set[str]:
    """Names bound by iterating one of `dicts` (`for k in data`, `[k for k in data.keys()]`): a dict's keys."""
    out: set[str] = set()
    for n in ast.walk(fn):
        if isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(n.target, ast.Name):
            it = n.iter.func.value if (isinstance(n.iter, ast.Call) and isinstance(n.iter.func, ast.Attribute)
                                        and n.iter.func.attr == "keys") else n.iter
            if isinstance(it, ast.Name) and it.id in dicts:
                out.add(n.target.id)
    return out


def _start(o: Origin, kind: str, sink: Sink) -> int:
    dump = kind in (RECORD, REQUEST) and 0 <= sink.line - o.line <= DUMP_REACH and not o.why.startswith(SENT_RECORDS)
    return o.line if dump else sink.line


def flow_steps(flow: Flow) -> list[FlowStep]:
    return [FlowStep(label=s.label, path=s.path, line=s.line) for s in flow.steps]


# Contact addresses: what a message to a person, or an operation on their number, must carry.
CONTACT_ADDRESSES = frozenset({"msisdn", "msisdns", "phone", "phone_number", "mobile", "mobile_number", "telephone",
                               "email", "wa_id", "urn", "urns", "to_addr"})


def addresses_only(flow: Flow) -> bool:
    """The flow carries a contact address alone (`msisdn`, `patient.phone`), nothing else of the record: handed to
    the service that messages or tops up that number, or to the task that will, it addresses, it discloses nothing."""
    words = re.findall(r"\w+", flow.steps[0].label.lower())
    return flow.kind == PHI and bool(words) and words[-1].removeprefix("patient_") in CONTACT_ADDRESSES


def describe(flows: list[Flow], limit: int = 2) -> str:
    """`a (x.py:1) -> f() -> log.info (y.py:9)`; and how many more."""
    text = "; ".join(f.explain() + (f" [{f.why}]" if f.why else "") for f in flows[:limit])
    return text + (f" (+{len(flows) - limit} more)" if len(flows) > limit else "")


def _module_env(ctx: Any, name: str) -> list[ast.expr]:
    return ctx.shared("flows:module-env", lambda: module_assignments(ctx.src.tree)).get(name, [])
