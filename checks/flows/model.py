"""The values the flow analysis passes around. All frozen and picklable (they are cached facts)."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

# Kinds of origin. PHI: a patient identifier value. INSTANCE: a patient(-like) object, PHI once an
# identifying attribute of it is read or it is dumped. RECORD: a whole record dumped (`__dict__`, rows).
# REQUEST: the whole request (headers with session/Authorization tokens, query, body). URL: the request
# path with its query string, PHI only where the project reads identifiers from query strings.
# PARAM: the function's own parameter (resolved through the callers, see index.FlowIndex).
# RENDERED: a patient object whose `__str__` renders PHI fields (phase 2 only: needs the project model).
PHI, INSTANCE, RECORD, REQUEST, URL, PARAM = "phi", "instance", "record", "request", "url", "param"
RENDERED = "rendered"
# FIELD: a PHI-named field of a form's or serializer's data (`self.cleaned_data["postcode"]`); PHI when the
# class (`Origin.why`) is bound to a patient model (phase 2, from the project model).
FIELD = "field"
# BODY: the whole body of a request (`request.data`, `request.POST`, `json.loads(request.body)`): whatever a
# client sent, patient details included. A leak where it is logged or printed; forwarding it to a task or an
# API is how integrations work, so only those sinks count (analysis._leak).
BODY = "body"
OBJECTS = frozenset({INSTANCE, RENDERED})
# Origin.why of a PHI-named field of the request (`request.POST.get("email")`): patient data only in a project
# that keeps patient records (analysis._leak).
REQUEST_FIELD = "a PHI-named field of the request"


@dataclass(frozen=True)
class Origin:
    kind: str
    label: str  # source spelling: "patient.full_name", "instance.__dict__", "hospital_number"
    line: int
    param: str | None = None  # PARAM: the parameter's name
    attrs: tuple[str, ...] = ()  # PARAM: what is read of it (`p.full_name` -> ("full_name",)); () = p itself
    why: str = ""  # evidence for a judgement the label does not show ("Case.__str__ renders first_name")
    model: str = ""  # INSTANCE: the model its rows come from, as the code names it (`p = Patient.objects.get(...)`)


@dataclass(frozen=True)
class Step:
    label: str
    path: str | None = None
    line: int | None = None

    def render(self) -> str:
        if self.path is None or self.line is None:
            return self.label
        return f"{self.label} ({posixpath.basename(self.path)}:{self.line})"


@dataclass(frozen=True)
class Flow:
    """One path from a source to a sink; `steps[0]` is the source, `steps[-1]` the sink."""

    steps: tuple[Step, ...]
    value: str  # what the sink receives, as spelled at the sink (`params`, `instance.__dict__`)
    kind: str  # the source's kind (PHI, RECORD, REQUEST…)
    sink_kind: str
    start_line: int  # first line in the sink's file the finding should cover (source line when local)
    why: str = ""

    def explain(self) -> str:
        return " -> ".join(s.render() for s in self.steps)


@dataclass(frozen=True)
class Sink:
    kind: str  # LOG | OUTPUT | HTTP | VENDOR | EXCEPTION | TASK | CACHE | FILE | MESSAGE
    label: str  # "logger.info", "print", "requests.get"; "fml_log()" for a call of a project wrapper
    line: int
    # A project function that hands its parameter whole to a log or print (`def fml_log(msg): logger.info(msg)`):
    # the sink statement inside it. The call passing patient data is the finding, not the wrapper.
    via: tuple[Step, ...] = ()


LOG, OUTPUT, HTTP, VENDOR, EXCEPTION = "log", "output", "http", "vendor", "exception"
# Where data is copied out of the record store: a task queue's message (Celery arguments), a cache key, a file
# written outside the media store; and a message sent to a person (email, SMS).
TASK, CACHE, FILE, MESSAGE = "task", "cache", "file", "message"
