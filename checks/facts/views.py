"""What a Django/DRF view touches and how it is guarded (shared by the permission checks).

Not a collector: it reads the `django_models` and `django_code` facts. A view's guard is a pair
of levels (reads, writes): 0 = anyone, 1 = authenticated, 2 = authorized (permission, role test,
object permission, custom BasePermission). DRF views without `permission_classes` take the
project's `REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]` (DRF's own default is AllowAny); a
login-required middleware makes every view authenticated unless it is `login_not_required`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..flows.index import NAME as FLOWS
from ..flows.index import FlowIndex
from ..names import ImportMap, dotted, last_part, matches
from ..vocabulary import Vocabulary
from ..walk import walk
from .django_code import (
    HANDLERS,
    UNREAD_CHECK,
    ClassInfo,
    ProjectCode,
    is_extra_action,
    perm_list,
    unwrapped_decorators,
    writes_in,
)
from .django_models import ModelIndex
from .drf_permissions import ObjectOnly, login_only_permission, object_only, per_action_levels
from .guards import (
    ACCESS_WORDS,
    AUTHN,
    AUTHZ,
    NONE,
    anonymous_crash,
    body_level,
    mentions_user,
    raises_permission_denied,
    request_user_names,
)
from .libraries import library_ancestors, library_class, neutral

if TYPE_CHECKING:
    from ..base import FileContext

_AUTHZ_DECORATORS = ("permission_required", "user_passes_test", "staff_member_required", "superuser_required",
                     "permission_required_or_403")
# django-oauth-toolkit's `protected_resource()` / `rw_protected_resource()` admit only a valid access token.
_AUTHN_DECORATORS = ("login_required", "protected_resource", "rw_protected_resource")
_AUTHZ_MIXINS = ("PermissionRequiredMixin", "UserPassesTestMixin", "SuperuserRequiredMixin",
                 "StaffuserRequiredMixin", "GroupRequiredMixin", "MultiplePermissionsRequiredMixin")
_AUTHN_MIXINS = ("LoginRequiredMixin", "ProtectedResourceMixin", "ScopedResourceMixin", "ReadWriteScopedResourceMixin",
                 "ProtectedResourceView", "ScopedProtectedResourceView", "ReadWriteScopedResourceView")
# Generic-view hooks that fill the page after access was decided: reading the user's groups there
# (to show admin links) guards nothing; only a PermissionDenied raised there does.
_RENDER_HOOKS = frozenset({"get_context_data", "get_success_url", "get_initial", "get_form_kwargs",
                           "get_template_names", "get_success_message"})
# Generic views that take their one object from the URL (`pk`/`slug`) through Django's get_object().
SINGLE_OBJECT_VIEWS = frozenset({"DetailView", "UpdateView", "DeleteView", "BaseDetailView", "BaseUpdateView",
                                 "BaseDeleteView", "SingleObjectMixin"})
_WRITE_METHODS = {"post", "put", "patch", "delete"}
WRITE_HANDLERS = _WRITE_METHODS | {"create", "update", "partial_update", "destroy", "perform_create",
                                    "perform_update", "perform_destroy", "form_valid"}
_WRITE_BASES = ("CreateView", "UpdateView", "DeleteView", "FormView", "ProcessFormView", "DeletionMixin",
                "ModelFormMixin", "BaseCreateView", "BaseUpdateView", "BaseDeleteView", "ModelViewSet",
                "CreateModelMixin", "UpdateModelMixin", "DestroyModelMixin")
_DRF_HOOKS = frozenset({"perform_create", "perform_update", "perform_destroy"})
# Methods that answer one kind of request: the HTTP handlers and DRF's viewset actions; those that change data.
_OWN_HANDLERS = frozenset(HANDLERS - {"dispatch"} | {"list", "retrieve", "create", "update", "partial_update",
                                                     "destroy"})
WRITING_HANDLERS = frozenset({"post", "put", "patch", "delete", "create", "update", "partial_update", "destroy"})
# Calls a view signs a new account up with: `user = form.save()`, `User.objects.create_user(...)`.
_USER_CREATORS = ("save", "create_user", "create_superuser")


def _narrows_super_queryset(fn: ast.FunctionDef) -> bool:
    """`def get_queryset(self): qs = super().get_queryset(); return qs.filter(...)`: the inherited rows, narrowed."""
    return fn.name == "get_queryset" and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get_queryset"
        and isinstance(n.func.value, ast.Call) and dotted(n.func.value.func) == "super" for n in walk(fn))


def _creates_own_rows(node: ast.ClassDef, ancestors: list[str]) -> bool:
    """A CreateView that makes the new row the requesting user's (`form.instance.user = self.request.user`) and
    names no record in its URL: a user adds records of their own and reaches no other user's. (One that attaches
    the row to a patient from the URL, `form.instance.patient = ...self.kwargs[...]`, records its author.)"""
    return any(last_part(a) == "CreateView" for a in ancestors) and not any(
        last_part(a) in ("UpdateView", "DeleteView", "BaseUpdateView", "BaseDeleteView") for a in ancestors) \
        and not any(dotted(n) == "self.kwargs" for n in walk(node)) and owned_by_requester(node)


_OWNER_NAMES = frozenset({"user", "owner", "account"})


def owned_by_requester(node: ast.AST) -> bool:
    """The view makes the requesting user the owner of what it writes: `key.user = request.user`,
    `Token.objects.create(user=request.user)`, `org.members.add(request.user)`, or hands the user to its form
    (`get_form_kwargs()` adding `{"user": self.request.user}`), which then writes for that user: a signed-in user's
    own rows (an API key, an organisation they found, a follow), which no role need guard."""
    aliases = {"request.user", "self.request.user"} | {
        t.id for n in walk(node) if isinstance(n, ast.Assign) and dotted(n.value) in ("request.user", "self.request.user")
        for t in n.targets if isinstance(t, ast.Name)}

    def requester(e: ast.expr | None) -> bool:
        return e is not None and dotted(e) in aliases
    for n in walk(node):
        if isinstance(n, ast.Assign) and requester(n.value) and any(
                isinstance(t, ast.Attribute) and t.attr in _OWNER_NAMES for t in n.targets):
            return True
        if isinstance(n, ast.Call) and (any(k.arg in _OWNER_NAMES and requester(k.value) for k in n.keywords) or (
                isinstance(n.func, ast.Attribute) and n.func.attr == "add" and n.args and requester(n.args[0]))):
            return True
    return any(isinstance(m, ast.FunctionDef) and m.name == "get_form_kwargs" and any(
        (isinstance(n, ast.Dict) and any(requester(v) for v in n.values))
        or (isinstance(n, ast.Call) and any(requester(k.value) for k in n.keywords))
        or (isinstance(n, ast.Assign) and requester(n.value) and isinstance(n.targets[0], ast.Subscript))
        for n in walk(m)) for m in getattr(node, "body", []))


def _attaches_to(call: ast.Call, rows: set[str]) -> bool:
    """A row created for one of `rows` (a keyword or a `defaults={...}` entry names it)."""
    values = [k.value for k in call.keywords]
    values += [v for k in call.keywords if k.arg == "defaults" and isinstance(k.value, ast.Dict) for v in k.value.values]
    return any(isinstance(v, ast.Name) and v.id in rows for v in values)
_AUTH_RELATIONS = frozenset({"groups", "user_permissions"})
_NOT_VIEW_MODULES = ("context_processors", "middleware", "templatetags", "signals", "backends", "utils", "helpers")
_DRF_PERMS = {"AllowAny": (NONE, NONE), "IsAuthenticated": (AUTHN, AUTHN),
              "IsAuthenticatedOrReadOnly": (NONE, AUTHN),
              "DjangoModelPermissionsOrAnonReadOnly": (NONE, AUTHZ),
              # DRF's perms_map asks nothing of GET/HEAD/OPTIONS: any signed-in user reads every row.
              "DjangoModelPermissions": (AUTHN, AUTHZ), "DjangoObjectPermissions": (AUTHN, AUTHZ)}
# Aggregates: a queryset reduced to numbers carries no patient rows or fields.
_AGGREGATE_FUNCS = {"Count", "Sum", "Avg", "Min", "Max", "StdDev", "Variance"}
_RELATION_KINDS = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey")

@dataclass
class View:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    drf: bool
    reads: int
    writes_level: int
    writes: bool
    models: list[str] = field(default_factory=list)  # patient-data models it touches
    restricted: bool = False
    guard: str = ""  # how it is guarded, for messages
    evidence: list[str] = field(default_factory=list)  # where its effective access comes from
    unknown: str = ""  # why its access control cannot be resolved: no gating finding rests on it
    unreachable: str = ""  # why no request reaches it (app not installed, router never included)
    perm_classes: list[str] = field(default_factory=list)  # DRF permission classes deciding every action
    # A class view's (reads, writes) levels from everything but its handlers' own bodies, and what each handler it
    # defines (`get`, `put`, `destroy`) checks in its own body.
    shared: tuple[int, int] = (NONE, NONE)
    handler_levels: dict[str, int] = field(default_factory=dict)
    # Its permission classes restrict beyond login only per object (`has_object_permission()`), and nothing else it
    # has checks a role or permission: DRF runs that check only through get_object()/check_object_permissions().
    object_only: ObjectOnly | None = None

    def handler_level(self, name: str) -> int:
        """Who may call a handler: the class's shared guard for that kind of request, raised by what the handler
        checks itself (an inherited handler, `destroy` from ModelViewSet, has the shared guard alone)."""
        return max(self.shared[1] if name in WRITING_HANDLERS else self.shared[0], self.handler_levels.get(name, NONE))

    @property
    def unknown_login_only(self) -> bool:
        """Only whether an unreadable middleware requires login is unknown: what the view checks per row is not."""
        return self.unknown.startswith(UNREAD_MIDDLEWARE)


# The evidence of a DRF view whose permission is DRF's own default, AllowAny, because nothing set another.
DEFAULT_ALLOW_ANY = "no permission_classes and no DEFAULT_PERMISSION_CLASSES (DRF's default is AllowAny)"
UNREAD_MIDDLEWARE = "middleware "  # the prefix of `View.unknown` for a login middleware wardgate cannot read


def all_views(ctx: FileContext, tree: ast.Module) -> list[View]:
    """The module's top-level views, analysed once per file for every view check."""
    models: ModelIndex | None = ctx.project.fact("django_models")
    code: ProjectCode | None = ctx.project.fact("django_code")
    if models is None or code is None:
        return []

    def analyse() -> list[View]:
        an = Analyzer(tree, ctx.imports, models, code, ctx.vocab, ctx.project.fact(FLOWS))
        return [view for _, view in an.module_views(tree)]

    return ctx.shared("views.all_views", analyse)


def patient_views(ctx: FileContext, tree: ast.Module) -> list[View]:
    """The module's views that touch patient-data models and restrict no rows."""
    return [v for v in all_views(ctx, tree) if v.models and not v.restricted]


class Analyzer:
    def __init__(self, tree: ast.Module, imports: ImportMap, models: ModelIndex, code: ProjectCode,
                 vocab: Vocabulary, flows: FlowIndex | None = None) -> None:
        self.imports, self.models, self.code, self.vocab, self.flows = imports, models, code, vocab, flows
        self.login_middleware = code.login_middleware(vocab)
        self.unknown_middleware = code.unknown_login_middleware(vocab)
        self.public_markers = code.login_exempt_decorators(vocab)  # `@login_not_required`, stronghold's `@public`
        # Module-level names built from models: `PatientForm = modelform_factory(Patient, ...)`.
        self.called = {n.func.id for n in walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        self.module_models: dict[str, list[str]] = {}
        self._views: dict[int, View | None] = {}  # node id -> view (the tree outlives the analyzer)
        self._reached: dict[str, list[str]] = {}  # view function -> models its write path queries
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                found = self._models_in(stmt.value)
                for t in stmt.targets:
                    if isinstance(t, ast.Name) and found:
                        self.module_models[t.id] = found

    # -- classification ------------------------------------------------------------------
    def perm_levels(self, names: list[str]) -> tuple[int, int]:
        reads, writes = NONE, NONE
        for name in names:
            r, w = min((self._perm(n) for n in name.split("|")), default=(AUTHZ, AUTHZ))
            reads, writes = max(reads, r), max(writes, w)
        return reads, writes

    def _perm(self, name: str) -> tuple[int, int]:
        if not name:
            return AUTHZ, AUTHZ  # unresolvable: assume it authorizes rather than guess
        if self.vocab.permission_classes and matches(name, *self.vocab.permission_classes):
            return AUTHZ, AUTHZ
        if name.startswith("rest_framework.") or name in _DRF_PERMS:
            return _DRF_PERMS.get(last_part(name), (AUTHZ, AUTHZ))
        info = self.code.lookup(name)
        if info is not None:  # a project class: authorizes if it is a BasePermission subclass
            if not self.code.inherits(name, lambda b: last_part(b) == "BasePermission"):
                return _DRF_PERMS.get(last_part(name), (AUTHZ, AUTHZ))
            level = login_only_permission(self.code, name)
            return (level, level) if level is not None else (AUTHZ, AUTHZ)
        return _DRF_PERMS.get(last_part(name), (AUTHZ, AUTHZ))

    def decorator_level(self, dec: ast.expr) -> int:
        return max((self.named_decorator_level(q) for q in unwrapped_decorators([dec], self.imports)), default=NONE)

    def named_decorator_level(self, q: str) -> int:
        if last_part(q) in _AUTHZ_DECORATORS or (self.vocab.permission_decorators and
                                                 matches(q, *self.vocab.permission_decorators)):
            return AUTHZ
        if last_part(q) in _AUTHN_DECORATORS or (self.vocab.authentication_decorators and
                                                 matches(q, *self.vocab.authentication_decorators)):
            return AUTHN
        kind = self.code.decorator(q)
        return AUTHZ if kind == "authz" else AUTHN if kind == "authn" else NONE

    def body_level(self, body: ast.AST) -> int:
        """What the code checks itself, or through a project function that turns the requesting user away
        (`check_project_permissions(project, request.user)` raising PermissionDenied; a predicate such as
        `is_manager(request)` decides nothing by being called), or through an access decorator's own check
        function called directly (`authenticate_study_access_and_call(noop, request, study_id=...)`)."""
        level = body_level(body, self.imports)
        if level < AUTHZ:
            for n in walk(body):
                if isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == "request" for a in n.args):
                    kind = self.code.decorator(self.imports.qualname(n.func))
                    level = max(level, AUTHZ if kind == "authz" else AUTHN if kind == "authn" else NONE)
        if level < AUTHZ and (self.code.enforcers or self.code.authorizing_methods):
            users = request_user_names(body)

            def given_user(n: ast.Call) -> bool:
                return any(mentions_user(a, users) or dotted(a) in ("request", "self.request")
                           for a in [*n.args, *(k.value for k in n.keywords)])
            if any(isinstance(n, ast.Call) and self.imports.qualname(n.func) in self.code.enforcers and given_user(n)
                   for n in walk(body)):
                return AUTHZ
            # `self.security_check(user, registry, patient)` as a statement of its own: a method that checks the
            # user's access, called for its effect, can only turn the request away (raise).
            if any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute)
                   and n.value.func.attr in self.code.authorizing_methods and given_user(n.value) for n in walk(body)):
                return AUTHZ
        return level

    # -- models and data flow ------------------------------------------------------------
    def _model(self, ref: str | None) -> str | None:
        m = self.models.lookup(ref)
        return m.qualname if m is not None and m.qualname in self.models.django else None

    def _models_in(self, node: ast.AST | None) -> list[str]:
        out: list[str] = []
        if node is None:
            return out
        for n in walk(node):
            if isinstance(n, ast.Name) and n.id in getattr(self, "module_models", {}):
                out.extend(self.module_models[n.id])
            if isinstance(n, (ast.Name, ast.Attribute)):
                q = self.imports.qualname(n)
                m = self._model(q)
                if m is None and q:
                    info = self.code.lookup(q)  # a serializer or model form: its Meta.model
                    if info is not None:
                        m = self._model(self.code.attr(q, "meta_model"))  # type: ignore[arg-type]
                if m:
                    out.append(m)
        return out

    def _row_models_in(self, node: ast.AST) -> list[str]:
        """Models whose rows or fields the code reaches: `_models_in` minus references that only feed
        aggregates (`qs.count()`, `.aggregate(...)`, `len(qs)`, and GROUP BY counts
        `.values(<non-PHI keys>).annotate(n=Count(...))`), directly or through a local variable used
        only that way."""
        skip: set[int] = set()
        for n in walk(node):
            aggregate = isinstance(n, ast.Call) and id(n) not in skip and self._is_aggregate(n)
            schema = isinstance(n, ast.Attribute) and n.attr == "_meta"  # `Model._meta.fields`: no rows read
            if aggregate or schema:
                skip |= {id(x) for x in walk(n)}
        assigns = [(t.id, a.value) for a in walk(node) if isinstance(a, ast.Assign)
                   for t in a.targets if isinstance(t, ast.Name)]
        loads: dict[str, list[ast.Name]] = {}
        for x in walk(node):
            if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load):
                loads.setdefault(x.id, []).append(x)
        # `qs = Patient.objects.filter(...)` then only `qs.count()` / `len(qs)`, also down a chain of names
        # (`patients = Patient.objects; recent = patients.filter(...); recent.count()`)
        # (`qs = qs.filter(...)` refines the same rows: its own read of `qs` is no use of them)
        refining = {id(x) for name, value in assigns for x in walk(value) if isinstance(x, ast.Name) and x.id == name}
        for _ in range(3):
            for name, value in assigns:
                uses = [x for x in loads.get(name, []) if id(x) not in refining]
                if id(value) not in skip and uses and all(id(x) in skip for x in uses):
                    skip |= {id(x) for x in walk(value)}
        out: list[str] = []

        def visit(n: ast.AST) -> None:
            if id(n) in skip:
                return
            if isinstance(n, (ast.Name, ast.Attribute)):
                out.extend(self._models_in(n) if isinstance(n, ast.Name) else self._models_in_attr(n))
                if isinstance(n, ast.Attribute):
                    visit(n.value)
                return
            for c in ast.iter_child_nodes(n):
                visit(c)

        visit(node)
        return out

    def _models_in_attr(self, n: ast.Attribute) -> list[str]:
        """`_models_in` for one attribute node alone (its value is visited separately)."""
        q = self.imports.qualname(n)
        m = self._model(q)
        if m is None and q:
            info = self.code.lookup(q)
            if info is not None:
                m = self._model(self.code.attr(q, "meta_model"))  # type: ignore[arg-type]
        return [m] if m else []

    def _is_aggregate(self, call: ast.Call) -> bool:
        f = call.func
        if isinstance(f, ast.Name) and f.id == "len" and len(call.args) == 1:
            return True
        if not isinstance(f, ast.Attribute):
            return False
        if f.attr == "count" and not call.args and not call.keywords:
            return True
        if f.attr == "distinct" and not call.args:  # `values_list("clinical_center", flat=True).distinct()`
            return self._grouped_by_safe_keys(f.value)
        if f.attr == "aggregate" and (call.args or call.keywords):
            return all(self._is_agg_func(a) for a in (*call.args, *(k.value for k in call.keywords)))
        if f.attr == "annotate" and (call.args or call.keywords) and all(
                self._is_agg_func(a) for a in (*call.args, *(k.value for k in call.keywords))):
            return self._grouped_by_safe_keys(f.value)
        return False

    def _is_agg_func(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and last_part(self.imports.qualname(node.func) or dotted(node.func) or "") \
            in _AGGREGATE_FUNCS

    def _grouped_by_safe_keys(self, chain: ast.expr) -> bool:
        """The queryset below `.annotate(...)` is `.values(keys)` / `.values_list(keys)` with keys that neither
        name a PHI field nor single out a patient (its pk or a relation to a patient model)."""
        cur: ast.expr = chain
        while isinstance(cur, ast.Call) and isinstance(cur.func, ast.Attribute):
            if cur.func.attr in ("values", "values_list"):
                keys = [a.value for a in cur.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if not keys or len(keys) != len(cur.args) or cur.keywords and cur.func.attr == "values":
                    return False
                model = next(iter(self._models_in(cur.func.value)), None)
                return all(self._safe_group_key(model, k) for k in keys)
            cur = cur.func.value
        return False

    def _safe_group_key(self, model: str | None, key: str) -> bool:
        phi = self.vocab.phi_field_names()
        info = self.models.lookup(model) if model else None
        for seg in key.split("__"):
            name = seg.removesuffix("_id")
            if seg.lower() in phi or name.lower() in phi:
                return False
            if name in ("id", "pk"):
                if info is None or info.qualname in self.models.patient:
                    return False  # one group per patient record
                continue
            fld = info.fields.get(name) if info is not None else None
            if fld is not None and fld.kind in _RELATION_KINDS:
                target = self.models.lookup(fld.target)
                if target is None or target.qualname in self.models.patient:
                    return False  # grouped per patient (or per related record we cannot classify)
                info = target
            else:
                info = None  # a plain field, a transform (`__date`) or a reverse relation we do not follow
        return True

    def patient(self, models: list[str]) -> list[str]:
        return sorted({m for m in models if self.models.is_patient_model(m)})

    def with_cascades(self, models: list[str], deletes: bool) -> list[str]:
        """`models` and, where the code deletes, the patient-data rows Django deletes with them: those whose foreign
        key to one of them says `on_delete=CASCADE` (deleting an uploaded report deletes the results parsed from it)."""
        if not deletes:
            return models
        return models + self.models.cascaded_patient_models(models, depth=1)

    def restricted(self, body: ast.AST) -> bool:
        """A lookup filtered by the requesting user (directly or through a local variable), a project method
        that checks the user's access to a row, or a row created for that user, or for the account the view
        itself signs up (`user=...`)."""
        user_names = request_user_names(body)
        new_users = {t.id for n in walk(body) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                     and last_part(dotted(n.value.func) or "") in _USER_CREATORS
                     for t in n.targets if isinstance(t, ast.Name) and "user" in t.id.lower()}
        owners = user_names | new_users
        # Rows reached through the requesting user (`patient = request.user.get_patient()`): the user's own.
        own_rows = {t.id for n in walk(body) if isinstance(n, ast.Assign) and isinstance(n.value, (ast.Call, ast.Attribute))
                    and dotted(n.value) not in ("request.user", "self.request.user") and mentions_user(n.value, set())
                    for t in n.targets if isinstance(t, ast.Name)}
        for n in walk(body):
            if isinstance(n, ast.Call):
                name = n.func.attr if isinstance(n.func, ast.Attribute) else dotted(n.func) or ""
                if isinstance(n.func, ast.Attribute) and name in self.code.authorizing_methods and any(
                        mentions_user(a, user_names) for a in [*n.args, *(k.value for k in n.keywords)]):
                    return True  # an object-level check: `Patient.get_for_user(request.user, pk)`, `p.check_can_write(user)`
                if last_part(name) in ("create", "get_or_create", "update_or_create") and (any(
                        k.arg == "user" and mentions_user(k.value, owners) for k in n.keywords) or _attaches_to(
                        n, own_rows)) and self._on_patient_data(n, name):
                    return True
                if last_part(name) in ("filter", "get", "all", "get_object_or_404", "get_list_or_404") and isinstance(
                        n.func, ast.Attribute) and mentions_user(n.func.value, user_names) \
                        and not _auth_relation(n.func.value):
                    return True  # through the user's own relations: `request.user.current_provider.participants.get()`
                if last_part(name) in ("filter", "get", "exclude", "get_object_or_404", "get_list_or_404", "Q",
                                       "for_user", "visible_to", "accessible_by"):
                    values = [k.value for k in n.keywords] + (list(n.args) if last_part(name) != "get_object_or_404"
                                                              else list(n.args[1:]))
                    if any(mentions_user(v, user_names) for v in values) and self._on_patient_data(n, name):
                        return True
        return False

    def _checked_by_function(self, body: ast.AST) -> bool:
        """The row is fetched through a project function that checks the user's permission on it, handed the user and
        the row's key: `get_object_if_allowed(model=Image, pk=pk, user=request.user)`."""
        user_names = request_user_names(body)
        return any(isinstance(n, ast.Call) and any(k.arg and (k.arg in ("pk", "id", "model") or k.arg.endswith(
            ("_pk", "_id"))) for k in n.keywords) and self.code.authorizes(self.imports.qualname(n.func)) is True
            and any(mentions_user(a, user_names) for a in [*n.args, *(k.value for k in n.keywords)]) for n in walk(body))

    def _on_patient_data(self, call: ast.Call, name: str) -> bool:
        """The user-restricted lookup is on patient data (or on something we cannot resolve)."""
        if last_part(name) in ("get_object_or_404", "get_list_or_404"):
            target = call.args[0] if call.args else None
        elif isinstance(call.func, ast.Attribute):
            target = call.func.value
        else:
            return True
        found = self._models_in(target) if target is not None else []
        return not found or bool(self.patient(found))

    # -- function views ------------------------------------------------------------------
    def module_views(self, tree: ast.Module) -> list[tuple[str, View]]:
        """(qualname, view) of the module's top-level views, and of each route method of a django-ninja-extra
        controller (an operation of its own)."""
        out: list[tuple[str, View | None]] = []
        module = self.imports.module
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((f"{module}.{stmt.name}", self.function_view(stmt)))
            elif isinstance(stmt, ast.ClassDef):
                out.append((f"{module}.{stmt.name}", self.class_view(stmt)))
                if f"{module}.{stmt.name}" in self.code.ninja_owners:
                    out += [(f"{module}.{stmt.name}.{m.name}", self.function_view(m, owner=stmt.name))
                            for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                            and f"{module}.{stmt.name}.{m.name}" in self.code.ninja_routes]
        return [(q, v) for q, v in out if v is not None]

    def function_view(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None = None) -> View | None:
        """The view a function defines (None if it is not a view); memoised per node. `owner`: the class of a
        django-ninja-extra controller method."""
        if id(fn) not in self._views:
            self._views[id(fn)] = self._function_view(fn, owner)
        return self._views[id(fn)]

    def class_view(self, node: ast.ClassDef) -> View | None:
        """The view a class defines (None if it is not a view); memoised per node."""
        if id(node) not in self._views:
            self._views[id(node)] = self._class_view(node)
        return self._views[id(node)]

    def _function_view(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None = None) -> View | None:
        q = f"{self.imports.module}.{owner}.{fn.name}" if owner else f"{self.imports.module}.{fn.name}"
        decs = [(d, self.imports.qualname(d.func if isinstance(d, ast.Call) else d) or "") for d in fn.decorator_list]
        api = next((d for d, name in decs if last_part(name) == "api_view"), None)
        first = fn.args.args[0].arg if fn.args.args else ""
        ninja = self.code.ninja_auth(q)
        routed = self.code.is_url_view(q) or api is not None or ninja is not None
        if not (routed or first == "request"):
            return None
        if not routed and (fn.name.startswith("_") or fn.name in self.called or any(
                part in self.imports.module for part in _NOT_VIEW_MODULES)):
            return None  # a helper taking `request` (called by views, context processors…), not a view
        evidence: list[str] = []
        levels = [(self.decorator_level(d), d, name) for d, name in decs]
        level = max((lv for lv, _, _ in levels), default=NONE)
        # `@permission_required("billing.view_invoice")` as its only authorization: a permission to view
        view_only = [_view_permissions(d.args[0] if isinstance(d, ast.Call) and d.args else None)
                     for lv, d, name in levels if lv == AUTHZ and last_part(name) == "permission_required"]
        authz_others = any(lv == AUTHZ and last_part(name) != "permission_required" for lv, _, name in levels)
        level = max(level, self.body_level(fn))
        if level == NONE and (crash := anonymous_crash(fn, self.imports)) is not None:
            level = AUTHN
            evidence.append(f"request.user.{crash[0]} (line {crash[1]}) raises for an anonymous request before it is "
                            "answered")
        wrapped, wrapper = self.code.url_guard(q)
        if wrapped > level:
            level = wrapped
            evidence.append(f"{wrapper}() around it in urls.py")
        if ninja is not None:
            level = max(level, ninja[0])
            evidence.append(ninja[1])
        exempt = any(last_part(n) in self.public_markers for _, n in decs)
        if self._middleware_login(q, exempt, evidence, applies=ninja is None):
            level = max(level, AUTHN)
        unknown = [f"decorator {n} could not be read" for d, n in decs if self._unknown_decorator(n)]
        if self.unknown_middleware and level < AUTHN and not exempt and ninja is None:
            unknown.append(f"{UNREAD_MIDDLEWARE}{self.unknown_middleware} could not be read")
        if not routed and self.code.has_urlconf and self.code.routed(q) is None:
            # A function taking the request that no URLconf routes: something wardgate could not follow calls it
            # (a dispatcher looking handlers up by name), and that caller's checks decide who reaches it.
            unknown.append("how requests reach it: no URLconf routes it, so a caller wardgate could not follow does")
        if not evidence and level == NONE:
            evidence.append("no login decorator, mixin or middleware")
        reads = writes_level = level
        if view_only and all(view_only) and not authz_others and self.body_level(fn) < AUTHZ \
                and self.code.url_guard(q)[0] < AUTHZ:
            writes_level = AUTHN  # whoever may see the rows may change them
            evidence.append(f"it requires only {view_only[0]}, the permission to view")
        elif not any(lv == AUTHZ for lv, _, _ in levels) and self.code.url_guard(q)[0] < AUTHZ:
            admits = _admits_viewers(fn, self.imports)
            if admits:  # `if not has_perm("x.change_y") and not has_perm("x.view_y"): raise PermissionDenied`
                writes_level = min(writes_level, AUTHN)
                evidence.append(f"its own check admits holders of {admits}, the permission to view")
        methods: set[str] = set()
        if api is not None:
            perms = next((d for d, n in decs if last_part(n) == "permission_classes" and isinstance(d, ast.Call)), None)
            names = perm_list(perms.args[0], self.imports) if perms is not None and perms.args else None
            r, w = self.perm_levels(names) if names is not None else self.default_perms()
            evidence.append(self._perm_evidence(names))
            reads, writes_level = max(reads, r), max(writes_level, w)
            auth = next((d for d, n in decs if last_part(n) == "authentication_classes" and isinstance(d, ast.Call)), None)
            reads, writes_level = self._credentials(
                perm_list(auth.args[0], self.imports) if auth is not None and auth.args else None,
                reads, writes_level, evidence)
            methods |= _methods_of(api.args[0] if isinstance(api, ast.Call) and api.args else None) or {"get"}
        for d, name in decs:
            if last_part(name) in ("require_POST",):
                methods.add("post")
            elif last_part(name) == "require_http_methods" and isinstance(d, ast.Call) and d.args:
                methods |= _methods_of(d.args[0]) or set()
        through = self._writes_through(q, evidence)  # also what rows the write path reaches
        writes = bool(methods & _WRITE_METHODS) or writes_in(fn, self.imports) or _compares_method(fn) or through
        return View(node=fn, drf=api is not None, reads=reads, writes_level=writes_level, writes=writes,
                    models=self.patient(self.with_cascades(self._row_models_in(fn) + self._reached.get(q, []),
                                                           _deletes(fn))),
                    restricted=self.restricted(fn) or self._checked_by_function(fn), evidence=evidence,
                    unknown=(unknown[0] if unknown else self.code.url_guard_unknown(q))
                    if level < AUTHZ else "",
                    unreachable=self._unreachable(q))

    def _writes_through(self, function: str, evidence: list[str]) -> bool:
        """`function` changes rows through the project functions and Celery tasks it calls (not counting the
        project's audit services, whose rows record a change rather than make one)."""
        if self.flows is None:
            return False
        services = self.models.audit_services
        path = self.flows.write_path(function, skip=lambda f: any(f == s or f.startswith(s + ".") for s in services))
        if path:
            evidence.append("changes data through " + self.flows.shown(path))
            # the rows it reaches there: a view whose service layer changes samples touches samples
            self._reached[function] = [m for m in map(self._model, self.flows.models_on(function, path)) if m]
        return path is not None

    def _middleware_login(self, q: str, exempt: bool, evidence: list[str], applies: bool = True) -> bool:
        """The project's login middleware guards the view `q`: installed, the view not exempt by decorator
        (`exempt`) nor by its URL (the middleware's exempt paths); `applies` False for views it does not
        decide (django-ninja operations). What decided it goes into `evidence`."""
        if not self.login_middleware or exempt:
            return False
        name = last_part(self.login_middleware)
        if self.code.login_exempt_path(q, self.vocab):
            evidence.append(f"its URL is exempt from login middleware {name}")
            return False
        if applies:
            evidence.append(f"login required by middleware {name}")
        return applies

    def _unreachable(self, q: str) -> str:
        # (a view needs no app of its own: a module of views that a URLconf routes is served all the same)
        if self.code.installed(self.imports.module) is False and self.code.routed(q) is not True \
                and q not in self.code.ninja_routes:  # (a django-ninja operation is served by its API, app or not)
            return f"app {self.imports.module.split('.')[0]} is not in INSTALLED_APPS"
        if self.code.routed(q) is False:
            return "registered only on routers whose urls no URLconf includes"
        if self.code.is_debug_view(q):
            return "routed only inside `if settings.DEBUG:` (a development endpoint)"
        return ""

    def _unknown_decorator(self, name: str) -> bool:
        """A decorator from a package wardgate cannot read, named like access control
        (`@require_role`, `@shared_auth.staff_only`): it may well guard the view."""
        if self.code.decorator(name) == UNREAD_CHECK:
            return True  # the project's own code, given the request before the view runs: it may refuse
        if not name or self.code.decorator(name) or neutral(name) or library_class(name) is not None \
                or last_part(name) in self.public_markers:
            return False
        if self.code.lookup(name) is not None or self.code.in_project(name):
            return False  # the project's own code: read, and not access control
        return bool(ACCESS_WORDS.search(last_part(name)))

    def _perm_evidence(self, names: list[str] | None) -> str:
        if names is not None:
            return f"permission_classes = [{', '.join(last_part(n) for n in names)}]"
        if self.code.default_perms:
            return f"DEFAULT_PERMISSION_CLASSES [{', '.join(last_part(n) for n in self.code.default_perms[0])}]"
        return DEFAULT_ALLOW_ANY

    def _credentials(self, auth_classes: list[str] | None, reads: int, writes: int,
                     evidence: list[str]) -> tuple[int, int]:
        """A DRF view whose authentication (its own `authentication_classes`, else the default ones) includes a class
        that refuses every request without its credentials lets no anonymous caller in, whatever its permissions."""
        required = self.code.credentials_required(auth_classes)
        if required is None or min(reads, writes) >= AUTHN:
            return reads, writes
        evidence.append(f"{last_part(required)} refuses a request without its credentials")
        return max(reads, AUTHN), max(writes, AUTHN)

    def default_perms(self) -> tuple[int, int]:
        if not self.code.default_perms:
            return NONE, NONE  # DRF's default is AllowAny
        levels = [self.perm_levels(p) for p in self.code.default_perms]
        return max(levels)

    # -- class-based views ---------------------------------------------------------------
    def _class_view(self, node: ast.ClassDef) -> View | None:
        q = f"{self.imports.module}.{node.name}"
        ancestors = self.code.ancestors(q)
        # a package's view base declared with its own bases (OPAL's LoginRequiredViewset is a DRF ViewSet)
        ancestors = [*ancestors, *(b for a in ancestors for b in library_ancestors(a) if b not in ancestors)]
        if not any(is_view_base(a) for a in ancestors):
            return None
        drf = any(a.startswith("rest_framework.") for a in ancestors)
        names = {last_part(a) for a in ancestors}
        level = NONE
        if names & set(_AUTHZ_MIXINS) or (self.vocab.permission_mixins and any(
                matches(a, *self.vocab.permission_mixins) for a in ancestors)):
            level = AUTHZ
        elif names & set(_AUTHN_MIXINS):
            level = AUTHN
        evidence: list[str] = []
        own_guard = NONE  # what the project's own code of the class and its bases checks (`dispatch()`, `test_func()`)
        for a in ancestors:  # guarding methods (`dispatch()`, `test_func()`) of the class or its bases
            info = self.code.lookup(a)
            lib = library_class(a)
            mine = max(info.guard_level if info is not None else NONE,
                       AUTHZ if info is not None and {"test_func", "has_permission"} & set(info.methods) else NONE)
            own_guard = max(own_guard, mine)
            found = max(mine, {"authn": AUTHN, "authz": AUTHZ}.get(lib.auth or "", NONE) if lib is not None else NONE)
            if found > level:
                level = found
                evidence.append(f"{last_part(a)} checks {'login' if found == AUTHN else 'permissions or roles'}")
        view_only = _view_permissions(next((s.value for s in node.body if isinstance(s, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "permission_required" for t in s.targets)), None))
        level = max([level, *(self.decorator_level(d) for d in node.decorator_list),
                     self._handler_level(q, ancestors, evidence, level)])
        methods = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
        # A check in a request handler's own body guards that handler; one in any other method (`dispatch()`, a
        # `get_object()` that checks the row) guards them all.
        body_levels = {m.name: self.body_level(m) for m in methods
                       if m.name in _OWN_HANDLERS or is_extra_action(m, self.imports)}
        handler_levels = {m.name: max([body_levels[m.name], *(self.decorator_level(d) for d in m.decorator_list)])
                          for m in methods if m.name in body_levels}
        level = max(level, max((self.body_level(m) for m in methods
                                if m.name not in handler_levels and _may_deny(m, self.imports)), default=NONE))
        wrapped, wrapper = self.code.url_guard(q)
        if wrapped > level:
            level = wrapped
            evidence.append(f"{wrapper}() around it in urls.py")
        exempt = bool(names & self.public_markers) or any(
            last_part(self.imports.qualname(w) or "") in self.public_markers
            for d in node.decorator_list if isinstance(d, ast.Call) and d.args  # method_decorator(x) or ([x, y])
            for w in (d.args[0].elts if isinstance(d.args[0], (ast.List, ast.Tuple)) else [d.args[0]]))
        if self._middleware_login(q, exempt, evidence):
            level = max(level, AUTHN)
        unresolved = self.code.unresolved(q)
        reads = writes_level = level
        if view_only and level == AUTHZ and own_guard < AUTHZ and self.code.url_guard(q)[0] < AUTHZ \
                and not any(self.decorator_level(d) == AUTHZ for d in node.decorator_list):
            writes_level = AUTHN  # whoever may see the rows may change them
            evidence.append(f"it requires only {view_only}, the permission to view")
        before_perms = level
        perm_classes: list[str] = []
        if drf:
            perms = self._class_perms(ancestors)
            r, w = self.perm_levels(perms) if perms is not None else self.default_perms()
            if perms is not None or not any((lib := library_class(a)) is not None and lib.auth for a in ancestors):
                evidence.append(self._perm_evidence(perms))  # (a package base's own permission_classes: said above)
            perm_classes = perms if perms is not None else [p for ps in self.code.default_perms for p in ps]
            if self.code.attr(q, "get_permissions"):
                perm_classes = []  # decided per action
                own = next((m for m in node.body
                            if isinstance(m, ast.FunctionDef) and m.name == "get_permissions"), None)
                r, w = (self._per_action_levels(own, (r, w)) if own is not None else None) or (AUTHZ, AUTHZ)
            reads, writes_level = max(reads, r), max(writes_level, w)
            auth_classes = next((info.auth_classes for info in map(self.code.lookup, ancestors)
                                 if info is not None and info.auth_classes is not None), None)
            reads, writes_level = self._credentials(auth_classes, reads, writes_level, evidence)
        shared = (reads, writes_level)
        # As before: the best check in a handler's body speaks for the class (its handlers' decorators count through
        # _handler_level, the least guarded of them).
        best = max(body_levels.values(), default=NONE)
        reads, writes_level = max(reads, best), max(writes_level, best)
        per_object = object_only(self.code, perm_classes) if perm_classes and max(before_perms, best) < AUTHZ \
            else None
        if per_object is not None:
            per_object = replace(per_object, before=max(per_object.before, before_perms, best))
        # (DRF's perform_* hooks run only under the mixins `_class_writes` reads)
        through = [self._writes_through(f"{q}.{m.name}", evidence) for m in node.body  # each: rows reached too
                   if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in WRITE_HANDLERS - _DRF_HOOKS]
        writes = self._class_writes(node, ancestors, names) or any(through)
        serializer = self.code.attr(q, "serializer")
        model_refs = [self.code.attr(q, "model"),
                      self.code.attr(serializer, "meta_model") if isinstance(serializer, str) else None]
        touched = [m for m in (self._model(r) for r in model_refs if isinstance(r, str)) if m]
        touched += self._row_models_in(node)
        touched += [m for f, found in self._reached.items() if f.startswith(q + ".") for m in found]
        touched += self._injected(node)
        gq = next((m for m in node.body if isinstance(m, ast.FunctionDef) and m.name in ("get_queryset", "get_object")),
                  None)
        restricted = gq is not None and self.restricted(gq) or any(
            isinstance(m, ast.FunctionDef) and m.name == "get_queryset" and mentions_user(m, set()) for m in node.body)
        if gq is None or _narrows_super_queryset(gq):
            # a project mixin's get_queryset() restricting rows to the user (`CareTeamQuerysetMixin`), inherited or
            # narrowed further (`qs = super().get_queryset()`)
            restricted |= any(info is not None and info.user_queryset for info in map(self.code.lookup, ancestors[1:]))
        restricted |= filter_backends_keep_users_rows(self.code, q)
        restricted |= _creates_own_rows(node, ancestors)
        handlers = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in HANDLERS]
        # each handler fetches its rows through a project function that checks the user's permission on them
        restricted |= bool(handlers) and all(self._checked_by_function(h) for h in handlers)
        unknown = ""
        if unresolved and min(reads, writes_level if writes else AUTHZ) < AUTHZ:
            unknown = f"base {unresolved[0]} could not be read"
        elif min(reads, writes_level if writes else AUTHZ) < AUTHZ:
            unknown = self.code.url_guard_unknown(q)
        if not unknown and self.unknown_middleware and min(reads, writes_level if writes else AUTHZ) < AUTHN \
                and not exempt:
            unknown = f"{UNREAD_MIDDLEWARE}{self.unknown_middleware} could not be read"
        return View(node=node, drf=drf, reads=reads, writes_level=writes_level, writes=writes,
                    models=self.patient(touched), restricted=restricted, evidence=evidence, unknown=unknown,
                    unreachable=self._unreachable(q), perm_classes=perm_classes, shared=shared,
                    handler_levels=handler_levels, object_only=per_object)

    def _injected(self, node: ast.ClassDef) -> list[str]:
        """Models whose rows a package decorator on a handler fetches by the URL's pk and passes in
        (`@patient_from_pk def destroy(self, request, patient)`, checks/library_models.toml `injects`)."""
        out = []
        for m in node.body:
            if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in m.decorator_list:
                    lib = library_class(self.imports.qualname(d.func if isinstance(d, ast.Call) else d))
                    model = self._model(lib.injects) if lib is not None and lib.injects else None
                    if model:
                        out.append(model)
        return out

    def _per_action_levels(self, fn: ast.FunctionDef, inherited: tuple[int, int]) -> tuple[int, int] | None:
        def levels(value: ast.expr | None) -> tuple[int, int] | None:
            if isinstance(value, (ast.List, ast.Tuple)):
                classes = ast.List(elts=[e.func if isinstance(e, ast.Call) else e for e in value.elts])
                names = perm_list(classes, self.imports)
                return self.perm_levels(names) if names is not None else None
            return None

        return per_action_levels(fn, inherited, levels)

    def _class_perms(self, ancestors: list[str]) -> list[str] | None:
        for a in ancestors:
            info: ClassInfo | None = self.code.lookup(a)
            if info is not None and info.perm_classes is not None:
                return info.perm_classes
        return None

    def _handler_level(self, q: str, ancestors: list[str], evidence: list[str], before: int) -> int:
        """What the decorators on a class view's own or inherited request methods enforce: on `dispatch()`, every
        request; on the handlers (`@method_decorator(login_required) def get`), the least guarded of them."""
        found: dict[str, list[str]] = {}
        chained: set[str] = set()  # methods whose definitions so far each call the next one (`super().dispatch()`)
        for a in (q, *ancestors):  # the first definition of each method along the MRO is the one that runs
            info = self.code.lookup(a)
            for name in info.methods if info is not None else ():
                if name not in HANDLERS or name in found and name not in chained:
                    continue
                found[name] = [*found.get(name, []), *info.handler_decorators.get(name, [])]  # type: ignore[union-attr]
                chained.discard(name)
                if name in info.handlers_calling_super:  # type: ignore[union-attr]
                    chained.add(name)

        def level(names: list[str]) -> int:
            return max((self.named_decorator_level(n) for n in names), default=NONE)
        handlers = {name: level(d) for name, d in found.items() if name != "dispatch"}
        # Handlers a Django or DRF generic base brings, which no project decorator wraps: `get()` of a
        # DetailView, `post()` of an UpdateView. (The base `View`/`APIView` define none.)
        library = [last_part(a) for a in ancestors if self.code.lookup(a) is None and is_view_base(a)]
        if any(n.endswith("View") and n not in ("View", "APIView", "GenericAPIView") for n in library):
            handlers.setdefault("get", NONE)
        if any(w in n for n in library for w in ("Form", "Create", "Update", "Delete", "Destroy")):
            handlers.setdefault("post", NONE)
        dispatch = level(found.get("dispatch", []))
        out = max(dispatch, min(handlers.values(), default=NONE))
        if out > before:
            where = "dispatch()" if dispatch == out else "/".join(f"{h}()" for h in handlers)
            shown = sorted({last_part(n) for ds in found.values() for n in ds if self.named_decorator_level(n) >= out})
            evidence.append(f"{', '.join(shown)} on {where}")
        return out

    def _class_writes(self, node: ast.ClassDef, ancestors: list[str], names: set[str]) -> bool:
        http = self.code.attr(f"{self.imports.module}.{node.name}", "http_methods")
        if isinstance(http, list) and not (set(http) & _WRITE_METHODS):
            return False
        if names & set(_WRITE_BASES) or any(
                a.startswith("rest_framework.generics.") and any(w in last_part(a) for w in ("Create", "Update",
                                                                                            "Destroy"))
                for a in ancestors):
            return True
        for a in ancestors:  # DRF's perform_* hooks run only under the Create/Update/Destroy mixins checked above
            info = self.code.lookup(a)
            if info is not None and set(info.writing_methods) & (WRITE_HANDLERS - _DRF_HOOKS):
                return True
        for m in node.body:
            if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in m.decorator_list:
                    if isinstance(d, ast.Call) and last_part(self.imports.qualname(d.func)) == "action":
                        kw = next((k.value for k in d.keywords if k.arg == "methods"), None)
                        if (_methods_of(kw) or set()) & _WRITE_METHODS:
                            return True
        return False


def _auth_relation(node: ast.expr) -> bool:
    """`request.user.groups`, `user.user_permissions`: the account's own roles, not rows it may see."""
    return isinstance(node, ast.Attribute) and node.attr in _AUTH_RELATIONS


def served_model_refs(code: ProjectCode, imports: ImportMap, cls: ast.ClassDef) -> list[str]:
    """What a class view says it serves, most explicit first: its `model`/`queryset`, its serializer's
    `Meta.model`, the `X.objects` its own get_queryset() reads."""
    q = f"{imports.module}.{cls.name}"
    serializer = code.attr(q, "serializer")
    refs = [code.attr(q, "model"), code.attr(serializer, "meta_model") if isinstance(serializer, str) else None]
    refs += [imports.qualname(n.value) for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "get_queryset"
             for n in walk(m) if isinstance(n, ast.Attribute) and n.attr == "objects"]
    return [r for r in refs if isinstance(r, str)]


def is_generic_view_base(name: str) -> bool:
    """DRF's generic views, viewsets and model mixins (`DestroyAPIView`, `ModelViewSet`, `UpdateModelMixin`), which
    serve their queryset themselves; not the bare `APIView`."""
    return (name.endswith("APIView") and name != "APIView") or "ViewSet" in name or name.endswith("ModelMixin")


def filter_backends_keep_users_rows(code: ProjectCode, q: str) -> bool:
    """A DRF generic view or viewset (its list() and get_object() pass the queryset through `filter_backends`; a bare
    APIView or ViewSet never does) whose filter backends keep only the requesting user's rows."""
    return any(a.startswith("rest_framework.") and is_generic_view_base(last_part(a)) and last_part(a) != "ViewSet"
               for a in code.ancestors(q)) and code.filters_rows_by_user(q)


def is_view_base(q: str) -> bool:
    if not q.startswith(("django.views.", "rest_framework.", "django.contrib.")):
        return False
    name = last_part(q)
    return name.endswith(("View", "ViewSet", "APIView")) or name == "ViewSetMixin"


def _methods_of(node: ast.AST | None) -> set[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return {e.value.lower() for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def _deletes(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "delete"
               for n in walk(node))


def _compares_method(fn: ast.AST) -> bool:
    for n in walk(fn):
        if isinstance(n, ast.Compare) and dotted(n.left) in ("request.method", "self.request.method"):
            for c in n.comparators:
                vals = _methods_of(c) or ({c.value.lower()} if isinstance(c, ast.Constant) and isinstance(c.value, str)
                                          else set())
                if vals & _WRITE_METHODS:
                    return True
    return False


def _may_deny(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """Can a check in this method turn a request away? Not in a render hook, unless it raises PermissionDenied."""
    return fn.name not in _RENDER_HOOKS or raises_permission_denied(fn, imports)


def _admits_viewers(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> str:
    """The view permission that lets a caller past every check of the view's own body that turns callers away,
    when each is `if not user.has_perm(...) [and not user.has_perm(...)]: raise PermissionDenied` and one of
    the permissions it accepts is Django's permission to view (`"compare.view_donor"`); else ""."""
    found = ""
    for stmt in walk(fn):
        if not (isinstance(stmt, ast.If) and any(isinstance(b, ast.Raise) for b in stmt.body)
                and raises_permission_denied(ast.Module(body=stmt.body, type_ignores=[]), imports)):
            continue
        terms = stmt.test.values if isinstance(stmt.test, ast.BoolOp) and isinstance(stmt.test.op, ast.And) \
            else [stmt.test]
        perms = [_perm_of_negated_check(t) for t in terms]
        if not all(perms):
            return ""  # a role test, or a check of something else: not this shape
        viewing = next((p for p in perms if p.rsplit(".", 1)[-1].startswith("view_")), "")
        if not viewing:
            return ""
        found = found or viewing
    return found


def _perm_of_negated_check(test: ast.expr) -> str:
    """`"app.view_x"` of `not user.has_perm("app.view_x")`, else ""."""
    if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call)):
        return ""
    call = test.operand
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "has_perm" and call.args
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        return ""
    return call.args[0].value


def _view_permissions(value: ast.expr | None) -> str:
    """The codenames of a `permission_required` value when each is Django's permission to view
    (`"billing.view_invoice"`, `("recupero.view_factura",)`), else ""."""
    elts = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value] if value is not None else []
    names = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if not names or len(names) != len(elts) or not all(n.rsplit(".", 1)[-1].startswith("view_") for n in names):
        return ""
    return ", ".join(names)
