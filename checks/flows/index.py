"""Phase 1's summaries merged: who passes what into whom, across the project.

`FlowIndex.incoming(function, parameter)` answers "which callers pass patient data into this
parameter?" as `(Origin, steps)` pairs: the origin at the caller, and the steps from it to the
function's entry (`hospital_number (prod_api.py:646) -> execute_hospital_query()`). A caller that
passes one of its own parameters is followed to its callers, up to `MAX_DEPTH` calls; recursion
and cycles stop there. Call references are resolved like `FunctionIndex.lookup`: exact qualname,
else a unique function of that name whose qualname ends the same way.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..names import last_part
from ..source import is_test_path
from ..vocabulary import Vocabulary
from .model import BODY, OBJECTS, PARAM, PHI, RECORD, REQUEST, URL, Origin, Step
from .summaries import ANY_RECEIVER, NAME, CallSite, FileFlows, FnInfo, MaskList, collect

MAX_DEPTH = 3
Incoming = tuple[Origin, tuple[Step, ...]]


@dataclass(frozen=True)
class Entry:
    """One call site handing something to a parameter."""

    origin: Origin
    caller: str
    path: str
    line: int


@dataclass
class FlowIndex:
    functions: dict[str, FnInfo] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # function qualname -> file
    by_name: dict[str, list[str]] = field(default_factory=dict)
    entries: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)  # (callee, param) -> entries
    str_renders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class qualname -> PHI fields
    query_params: list[tuple[str, int, str]] = field(default_factory=list)  # (path, line, key)
    mask_lists: list[MaskList] = field(default_factory=list)
    phi_fields: frozenset[str] = frozenset()
    dose_calls: dict[str, list[bool]] = field(default_factory=dict)  # dose function -> capped at each call site
    runs: dict[str, set[str]] = field(default_factory=dict)  # function -> the project functions it calls or enqueues
    # function -> parameter -> (sink kind, the steps to the log/print it reaches whole: `fml_log()`,
    # `logger.info (x.py:21)`)
    sink_params: dict[str, dict[str, tuple[str, tuple[Step, ...]]]] = field(default_factory=dict)
    _memo: dict[tuple[str, str, int], list[Incoming]] = field(default_factory=dict, repr=False)

    def lookup(self, ref: str) -> str | None:
        if ref in self.functions:
            return ref
        # `Sample.objects.create_sample(...)`: a method of the model's custom manager, found by its name
        if ref.startswith(ANY_RECEIVER + ".") or ".objects." in ref or "._default_manager." in ref:
            methods = self.methods_named(ref)
            return methods[0] if len(methods) == 1 else None
        names = self.by_name.get(last_part(ref), [])
        hits = [q for q in names if q.endswith("." + ref) or ref.endswith("." + q)]
        if not hits and "." in ref:  # re-exported by a package: `pkg.f` is `pkg.sub.f`
            package = ref.rsplit(".", 1)[0] + "."
            hits = [q for q in names if q.startswith(package) and q.count(".") == ref.count(".") + 1]
        return hits[0] if len(hits) == 1 else None

    def methods_named(self, ref: str) -> list[str]:
        """`obj.update_from_dict()` on an object of unknown class: the project methods of that name, when they are
        one method or its overrides in a single module (a base and its subclasses); else none."""
        methods = [q for q in self.by_name.get(last_part(ref), []) if self.functions[q].params[:1] == ("self",)]
        modules = {self.paths[q] for q in methods}
        return methods if len(modules) == 1 else []

    def write_path(self, function: str, skip: Callable[[str], bool] = lambda f: False,
                   depth: int = MAX_DEPTH) -> tuple[str, ...] | None:
        """The project calls through which `function` changes rows (`("services.discharge", "tasks.close")`),
        `()` if it writes itself, None if it does not within `depth` calls. Functions `skip` accepts (the
        project's audit services, whose rows record the change rather than make it) are not followed."""
        info = self.functions.get(function)
        if info is not None and info.writes:
            return ()
        todo: list[tuple[str, tuple[str, ...]]] = [(function, ())]
        seen = {function}
        for _ in range(depth):
            following: list[tuple[str, tuple[str, ...]]] = []
            for caller, chain in todo:
                for callee in sorted(self.runs.get(caller, ())):
                    if callee in seen or skip(callee):
                        continue
                    seen.add(callee)
                    path = (*chain, callee)
                    if self.functions[callee].writes:
                        return path
                    following.append((callee, path))
            todo = following
        return None

    def shown(self, path: tuple[str, ...]) -> str:
        """A call path as a reader follows it: `discharge() -> HANDLERS[…] -> close()`."""
        info = self.functions.get
        return " -> ".join(f"{last_part(f)}[…]" if getattr(info(f), "table", False) else f"{last_part(f)}()"
                           for f in path)

    def models_on(self, function: str, path: tuple[str, ...]) -> tuple[str, ...]:
        """What `function` and the functions of its write path query (references as written there)."""
        return tuple(m for f in (function, *path) if f in self.functions for m in self.functions[f].models)

    def capped_by_every_caller(self, function: str) -> bool:
        """Called at least once, and every caller limits the result (a dose capped where it passes)."""
        calls = self.dose_calls.get(function, [])
        return bool(calls) and all(calls)

    def wrapper_params(self, function: str, bound: bool) -> list[tuple[int | None, str, str, tuple[Step, ...]]]:
        """The parameters of `function` that reach a log or print whole: (position at a call, name, sink kind, the
        steps from the call to that sink). Position counts after the receiver for a bound call (`self.log(msg)`)."""
        found = self.sink_params.get(function)
        if not found:
            return []
        params = list(self.functions[function].params)
        if (bound or "." in function) and params[:1] in (["self"], ["cls"]):
            params = params[1:]
        return [(params.index(p) if p in params else None, p, kind, via) for p, (kind, via) in found.items()]

    def renders(self, class_ref: str) -> tuple[str, ...]:
        if class_ref in self.str_renders:
            return self.str_renders[class_ref]
        hits = [v for k, v in self.str_renders.items() if last_part(k) == last_part(class_ref)]
        return hits[0] if len(hits) == 1 else ()

    def incoming(self, function: str, param: str, depth: int = MAX_DEPTH) -> list[Incoming]:
        """What callers pass into `param` of `function`, resolved to non-parameter origins."""
        key = (function, param, depth)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []  # a cycle resolves to nothing
        out: list[Incoming] = []
        call = Step(f"{last_part(function)}()")
        for e in self.entries.get((function, param), ()):
            o = e.origin
            if o.kind != PARAM:
                out.append((o, (Step(o.label, e.path, o.line), call)))
            elif depth > 1 and o.param:
                for up, steps in self.incoming(e.caller, o.param, depth - 1):
                    resolved = apply_attrs(up, o.attrs, self.phi_fields)
                    if resolved is not None:
                        out.append((resolved, (*steps, call)))
            if len(out) >= 20:
                break
        self._memo[key] = out
        return out


def apply_attrs(o: Origin, attrs: tuple[str, ...], phi_fields: frozenset[str]) -> Origin | None:
    """What `x.attr` carries when `x` carries `o`: a PHI field of a patient object is PHI, its
    `__dict__` a whole record; anything read of a PHI value or record still identifies."""
    if not attrs:
        return o
    if o.kind in OBJECTS:
        if attrs[0] == "__dict__":
            return Origin(RECORD, f"{o.label}.__dict__", o.line, why=o.why, model=o.model)
        if attrs[0] in phi_fields:
            return Origin(PHI, f"{o.label}.{attrs[0]}", o.line, model=o.model)
        return None
    if o.kind in (RECORD, REQUEST, URL, BODY):  # one field of a whole record: PHI if its name says so
        return Origin(PHI, f"{o.label}[{attrs[0]!r}]", o.line) if attrs[0] in phi_fields else None
    return o if o.kind != PARAM else None  # a PHI value or form field read further


def merge(per_file: dict[str, FileFlows], vocab: Vocabulary) -> FlowIndex:
    idx = FlowIndex(phi_fields=vocab.phi_field_names())
    for path, ff in per_file.items():
        for f in ff.functions:
            idx.functions[f.qualname] = f
            idx.paths[f.qualname] = path
            idx.by_name.setdefault(last_part(f.qualname), []).append(f.qualname)
        for klass, fields in ff.str_renders:
            idx.str_renders[klass] = fields
        idx.query_params += [(path, line, key) for line, key in ff.query_params]
        idx.mask_lists += ff.mask_lists
    for path, ff in per_file.items():
        if is_test_path(path):
            continue  # a test hands made-up values to the code under test: they reach no real sink
        for c in ff.calls:
            _add(idx, c, path)
        for caller, ref in ff.edges:
            target = idx.lookup(ref)
            if target is not None and target != caller:
                idx.runs.setdefault(caller, set()).add(target)
        for ref, capped in ff.dose_calls:
            target = idx.lookup(ref)
            if target is not None:
                idx.dose_calls.setdefault(target, []).append(capped)
    _wrappers(idx, per_file)
    return idx


def _wrappers(idx: FlowIndex, per_file: dict[str, FileFlows]) -> None:
    """Log wrappers: functions that only log or print a parameter (whole), and the functions that only hand one of
    theirs on, whole, to such a wrapper (`def note(text): fml_log(text)`), up to MAX_DEPTH calls."""
    for path, ff in per_file.items():
        if not is_test_path(path):
            for function, param, sink in ff.sink_params:
                idx.sink_params.setdefault(function, {}).setdefault(param, (sink.kind, (Step(sink.label, path, sink.line),)))
    forwarded = {f for path, ff in per_file.items() if not is_test_path(path) for f in ff.forwarded}
    for _ in range(MAX_DEPTH - 1):
        added = False
        for (target, name), entries in list(idx.entries.items()):
            found = idx.sink_params.get(target, {}).get(name)
            if found is None:
                continue
            kind, via = found
            for e in entries:
                o = e.origin
                if o.kind == PARAM and not o.attrs and o.param and (e.caller, o.param) in forwarded \
                        and o.param not in idx.sink_params.get(e.caller, {}):
                    idx.sink_params.setdefault(e.caller, {})[o.param] = (kind, (Step(f"{last_part(target)}()"), *via))
                    added = True
        if not added:
            break


def _add(idx: FlowIndex, c: CallSite, path: str) -> None:
    targets = idx.methods_named(c.callee) if c.callee.startswith(ANY_RECEIVER + ".") else [idx.lookup(c.callee)]
    for target in targets:
        if target is not None:
            _add_to(idx, c, path, target)


def _add_to(idx: FlowIndex, c: CallSite, path: str, target: str) -> None:
    params = list(idx.functions[target].params)
    bound = c.bound or (params[:1] in (["self"], ["cls"]) and "." in target)
    if bound and params[:1] in (["self"], ["cls"]):
        params = params[1:]
    for a in c.args:
        if a.keyword is not None:
            name = a.keyword if a.keyword in params else None
        else:
            name = params[a.position] if a.position is not None and a.position < len(params) else None
        if name is None:
            continue
        for o in a.origins:
            idx.entries.setdefault((target, name), []).append(Entry(o, c.caller, path, c.line))


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
