from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.guards import AUTHN, AUTHZ, NONE, consults_user, decorated_for_access
from ..facts.views import SINGLE_OBJECT_VIEWS, View, all_views, owned_by_requester
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

_MODELS = ("care/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10)

    class Visit(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        weight = models.FloatField()
    """)
_MIXIN = ("care/mixins.py", """\
    from django.core.exceptions import PermissionDenied
    from care.models import Patient

    class CheckUnitMixin:
        def dispatch(self, request, *args, **kwargs):
            patient = Patient.objects.get(pk=self.kwargs['patient_id'])
            if patient.unit_id != request.user.unit_id:
                raise PermissionDenied()
            return super().dispatch(request, *args, **kwargs)
    """)
# The minimum number of patient-data views in a module before their common check is its norm.
_MIN_PEERS = 3
# ...and of all its views, for a role kept across the whole module.
_MIN_MODULE_PEERS = 5


# Three views of a module that each require a permission to write: the module's norm (after its imports).
_UPLOAD_IMPORTS = """\
            from django.contrib.auth.decorators import login_required, permission_required
            from imports.models import Upload

"""
_PERMITTED_UPLOADS = """\
            @login_required
            @permission_required('imports.add_upload')
            def upload(request):
                Upload.objects.create(name=request.POST['name'])

            @login_required
            @permission_required('imports.change_upload')
            def rename(request):
                Upload.objects.filter(pk=request.POST['pk']).update(name=request.POST['name'])

            @login_required
            @permission_required('imports.change_upload')
            def retry(request):
                Upload.objects.filter(pk=request.POST['pk']).update(state='queued')
"""

# Three views of a module that check the caller belongs to the organisation named in the URL.
_ORG_VIEWS = """\
            from django.http import JsonResponse
            from rest_framework.views import APIView
            from orgs.models import Organization
            from orgs.tasks import send_top_up

            def _member(org_id, user):
                return Organization.objects.filter(id=org_id, users=user).exists()

            class Balance(APIView):
                def get(self, request, org_id):
                    if not _member(org_id, request.user):
                        return JsonResponse({}, status=401)
                    return JsonResponse({"balance": 0})

            class TopUp(APIView):
                def get(self, request, org_id):
                    if not _member(org_id, request.user):
                        return JsonResponse({}, status=401)
                    send_top_up.delay(org_id, request.GET["msisdn"])
                    return JsonResponse({})

            class Products(APIView):
                def get(self, request, org_id):
                    if not _member(org_id, request.user):
                        return JsonResponse({}, status=401)
                    return JsonResponse({"products": []})
"""


# Report views of a biobank area, each kept to staff, and an upload that reloads the box records (after them).
_BIOBANK_REPORTS = """\
            from django.contrib.auth.decorators import login_required
            from django.core.exceptions import PermissionDenied
            from django.shortcuts import render
            from biobank.loader import reload_boxes
            from biobank.models import Box
""" + "".join(f"""
            @login_required
            def {name}(request):
                if not request.user.is_staff:
                    raise PermissionDenied
                return render(request, "r.html", {{"rows": Box.objects.all()}})
""" for name in ("blood", "urine", "tissue", "unmatched", "boxes")) + """
            @login_required
            def upload(request):
                if request.method == "POST":
                    reload_boxes(request.FILES["file"])
                return render(request, "u.html")
"""


class MissingSiblingGuard(Check):
    """## What it does
    Two departures from a module's own norm. First, a class-based view of patient data that acts on a record named in its URL
    (`self.kwargs["patient_id"]`, `pk`) but lacks the project's own access-check mixin (a project
    class whose `dispatch()`/`test_func()` authorizes, such as a care-unit or trust check) when at
    least two thirds of the module's other patient-data views (three or more) carry one. Django's and
    libraries' mixins (`LoginRequiredMixin`, `PermissionRequiredMixin`) do not make the norm: the
    project's own check is what scopes a user to their patients. Second, a view that changes data with
    login only where at least two thirds of the module's views that change data (three or more) check
    a role or permission (patient-data writes at login only are WG302's). Third, a view or handler that
    takes a named capture from its URL (`org_id`, `patient_id`, `registry_code`; not a bare `pk`) and checks
    nothing about the caller, where at least two thirds of the module's views taking the same capture
    (three or more in all; or half, of four or more) check the caller's access: the capture names a tenant
    or a record the module guards on purpose. A view that hands the user to any call that may decide
    (`Patient.get_for_user(request.user, patient_id)`), or that touches no stored rows, is not flagged.
    Fourth, a view that changes data with no login at all where two thirds of the module's views that
    change data (three or more) require one; views named for sign-up, login, password resets, webhooks or
    health checks are public by design.

    ## Why is this bad?
    When every view of a record checks that the patient belongs to the user's unit but one does
    not, any clinician with the model permission can open or change any patient's records through
    that one view (an insecure direct object reference), and nothing in the view's own code shows it.

    ## Example
    ```python
    class VisitCreate(LoginRequiredMixin, PermissionRequiredMixin, CreateView):
        model = Visit

        def form_valid(self, form):
            form.instance.patient_id = self.kwargs["patient_id"]
            return super().form_valid(form)
    ```

    Use instead:
    ```python
    class VisitCreate(LoginRequiredMixin, CheckUnitMixin, PermissionRequiredMixin, CreateView):
        ...
    ```
    """

    code = "WG307"
    name = "missing-sibling-guard"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Patient-data view skips the access check its sibling views use"

    VALID = (
        # The fourth view only redirects: it acts on nothing the capture names.
        Valid(_ORG_VIEWS + """\

            class SwitchOrg(APIView):
                def post(self, request, org_id):
                    return JsonResponse({"next": f"/orgs/{request.POST['org']}/"})
            """, path="orgs/views.py"),
        # The fourth view hands the user to the project's own lookup, which decides.
        Valid(_ORG_VIEWS + """\

            class BuyProduct(APIView):
                def get(self, request, org_id, product_id):
                    org = Organization.get_for_user(request.user, org_id)
                    send_top_up.delay(org.id, request.GET["msisdn"], product_id)
                    return JsonResponse({})
            """, path="orgs/views.py"),
        Valid(_UPLOAD_IMPORTS + _PERMITTED_UPLOADS + """\

            @login_required
            @permission_required('imports.delete_upload')
            def delete_upload(request):
                Upload.objects.filter(pk=request.POST['pk']).delete()
            """, path="imports/views.py"),
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView, DeleteView, ListView, UpdateView
            from care.mixins import CheckUnitMixin
            from care.models import Visit

            class VisitList(LoginRequiredMixin, CheckUnitMixin, ListView):
                model = Visit

            class VisitUpdate(LoginRequiredMixin, CheckUnitMixin, UpdateView):
                model = Visit
                fields = ['weight']

            class VisitDelete(LoginRequiredMixin, CheckUnitMixin, DeleteView):
                model = Visit

            class VisitCreate(LoginRequiredMixin, CheckUnitMixin, CreateView):
                model = Visit

                def form_valid(self, form):
                    form.instance.patient_id = self.kwargs['patient_id']
            """, path="care/views.py", files=(_MODELS, _MIXIN)),
        # Login only, but what it writes belongs to the requesting user (a key of their own); the role check in
        # the body of the last one is a request attribute the project's middleware sets.
        Valid("""\
            from django.contrib.auth.decorators import login_required, permission_required
            from django.http import Http404
            from imports.models import ApiKey, Upload

""" + _PERMITTED_UPLOADS + """\

            @login_required
            def add_key(request):
                key = ApiKey(label=request.POST['label'])
                key.user = request.user
                key.save()

            @login_required
            def delete_upload(request):
                if not request.is_upload_manager:
                    raise Http404()
                Upload.objects.filter(pk=request.POST['pk']).delete()
            """, path="imports/views.py"),
        # Login only, but the form is handed the requesting user and writes for them (a follow of their own).
        Valid(_UPLOAD_IMPORTS.replace("from imports.models import Upload", """from imports.models import Follow, Upload
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView""") + _PERMITTED_UPLOADS + """\

            class FollowCreate(LoginRequiredMixin, CreateView):
                model = Follow
                fields = ['upload']

                def get_form_kwargs(self):
                    kwargs = super().get_form_kwargs()
                    kwargs.update({"follower": self.request.user})
                    return kwargs
            """, path="imports/views.py"),
        # Creates a record that names no existing one: nothing from the URL to scope.
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView, DeleteView, ListView, UpdateView
            from care.mixins import CheckUnitMixin
            from care.models import Visit

            class VisitList(LoginRequiredMixin, CheckUnitMixin, ListView):
                model = Visit

            class VisitUpdate(LoginRequiredMixin, CheckUnitMixin, UpdateView):
                model = Visit
                fields = ['weight']

            class VisitDelete(LoginRequiredMixin, CheckUnitMixin, DeleteView):
                model = Visit

            class VisitCreate(LoginRequiredMixin, CreateView):
                model = Visit
                fields = ['weight']
            """, path="care/views.py", files=(_MODELS, _MIXIN)),
        # The detail views' "check" is an owner test made per object (has_object_permission): no role the list
        # and create view, which has no object yet, could share.
        Valid("""\
            from rest_framework import generics, permissions
            from pipelines.models import Pipeline, Plugin

            class IsOwnerOrReadOnly(permissions.BasePermission):
                def has_object_permission(self, request, view, obj):
                    if request.method in permissions.SAFE_METHODS:
                        return True
                    return obj.owner == request.user

            class PipelineDetail(generics.RetrieveUpdateDestroyAPIView):
                queryset = Pipeline.objects.all()
                permission_classes = (permissions.IsAuthenticated, IsOwnerOrReadOnly)

            class PluginDetail(generics.RetrieveUpdateDestroyAPIView):
                queryset = Plugin.objects.all()
                permission_classes = (permissions.IsAuthenticated, IsOwnerOrReadOnly)

            class PluginParameterDetail(generics.RetrieveUpdateDestroyAPIView):
                queryset = Plugin.objects.all()
                permission_classes = (permissions.IsAuthenticated, IsOwnerOrReadOnly)

            class PipelineSourceUpload(generics.ListCreateAPIView):
                queryset = Pipeline.objects.all()
                permission_classes = (permissions.IsAuthenticated,)
            """, path="pipelines/views.py", files=(("pipelines/models.py", """\
                from django.db import models

                class Pipeline(models.Model):
                    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
                    name = models.CharField(max_length=50)

                class Plugin(models.Model):
                    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
                    name = models.CharField(max_length=50)
                """),)),
        # Too few views for a norm.
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView, ListView
            from care.mixins import CheckUnitMixin
            from care.models import Visit

            class VisitList(LoginRequiredMixin, CheckUnitMixin, ListView):
                model = Visit

            class VisitCreate(LoginRequiredMixin, CreateView):
                model = Visit

                def form_valid(self, form):
                    form.instance.patient_id = self.kwargs['patient_id']
            """, path="care/views.py", files=(_MODELS, _MIXIN)),
        # The other views check the collection their URL names (django-guardian's lookup): no role a create view, which
        # makes a collection of the user's own, could share.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from guardian.decorators import permission_required
            from biobank.models import Box
            from biobank.services import create_box
""" + "".join(f"""
            @permission_required("biobank.{perm}_box", (Box, "pk", "pk"))
            def {name}(request, pk):
                return Box.objects.get(pk=pk)
""" for name, perm in (("detail", "view"), ("edit", "change"), ("labels", "view"), ("csv", "view"), ("share", "change")))
              + """
            @login_required
            def create(request):
                if request.method == "POST":
                    create_box(creator=request.user, name=request.POST["name"])
""", path="biobank/views.py"),
        # Four report views are too few to make a module-wide role.
        Valid(_BIOBANK_REPORTS.replace("""
            @login_required
            def boxes(request):
                if not request.user.is_staff:
                    raise PermissionDenied
                return render(request, "r.html", {"rows": Box.objects.all()})
""", ""), path="biobank/views.py"),
    )
    INVALID = (
        # Every other upload view needs a login and a permission; the delete needs nothing.
        Invalid(_UPLOAD_IMPORTS + _PERMITTED_UPLOADS + """\

            def delete_upload(request):
                Upload.objects.filter(pk=request.POST['pk']).delete()
            """, line=19, path="imports/views.py"),
        # Half of the four views taking `org_id` check membership (the third hands the user to a lookup).
        Invalid(_ORG_VIEWS.replace("""                    if not _member(org_id, request.user):
                        return JsonResponse({}, status=401)
                    return JsonResponse({"products": []})""", """                    org = Organization.get_for_user(request.user, org_id)
                    return JsonResponse({"products": list(org.products)})""") + """\

            class BuyProduct(APIView):
                def get(self, request, org_id, product_id):
                    send_top_up.delay(org_id, request.GET["msisdn"], product_id)
                    return JsonResponse({})
            """, line=28, path="orgs/views.py"),
        # The module checks membership of the organisation named in the URL everywhere but here.
        Invalid(_ORG_VIEWS + """\

            class BuyProduct(APIView):
                def get(self, request, org_id, product_id):
                    send_top_up.delay(org_id, request.GET["msisdn"], product_id)
                    return JsonResponse({})
            """, line=29, path="orgs/views.py"),
        # A biobank area whose five report views are kept to administrators; the upload that reloads it is not.
        Invalid(_BIOBANK_REPORTS, line=38, path="biobank/views.py"),
        # A module whose other three writing views require a permission.
        Invalid(_UPLOAD_IMPORTS + _PERMITTED_UPLOADS + """\

            @login_required
            def delete_upload(request):
                Upload.objects.filter(pk=request.POST['pk']).delete()
            """, line=20, path="imports/views.py"),
        Invalid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView, DeleteView, ListView, UpdateView
            from care.mixins import CheckUnitMixin
            from care.models import Visit

            class VisitList(LoginRequiredMixin, CheckUnitMixin, ListView):
                model = Visit

            class VisitUpdate(LoginRequiredMixin, CheckUnitMixin, UpdateView):
                model = Visit
                fields = ['weight']

            class VisitDelete(LoginRequiredMixin, CheckUnitMixin, DeleteView):
                model = Visit

            class VisitCreate(LoginRequiredMixin, CreateView):
                model = Visit

                def form_valid(self, form):
                    form.instance.patient_id = self.kwargs['patient_id']
            """, line=16, path="care/views.py", files=(_MODELS, _MIXIN)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        live = [v for v in all_views(self.ctx, node) if not v.unknown and not v.unreachable]
        self._login_only_writer(live, code)
        self._anonymous_writer(live)
        self._unchecked_capture(live)
        self._missing_mixin(code, [v for v in live if isinstance(v.node, ast.ClassDef) and v.models])

    def _writers(self, views: list[View]) -> list[View]:
        """The module's views that change data, less the shared bases other views there build on (no endpoints)."""
        return [v for v in self._endpoints(views) if v.writes]

    def _login_only_writer(self, views: list[View], code: ProjectCode) -> None:
        """A view that changes data with login only, where two thirds of the module's views that change data
        check a role or permission; or, with fewer than three such views, where four in five of all the module's
        other views (five or more) do, reading or writing: a module kept to a role (an administration or
        biobank area). (Patient-data writes at login only are WG302's.)"""
        writers = self._writers(views)
        # An owner test made per object (DRF's has_object_permission) is no role a list or create view could share.
        authorizing = [v for v in writers if v.writes_level >= AUTHZ and v.object_only is None]
        peers, kind = writers, "views that change data"
        if len(writers) < _MIN_PEERS:
            peers, kind = self._endpoints(views), "views"
            # (a check of the object the URL names, `@needs_object_permission(..., "pk")`, is no role either)
            authorizing = [v for v in peers if v.object_only is None and not v.restricted
                           and min(v.reads, v.writes_level if v.writes else AUTHZ) >= AUTHZ
                           and not self._checks_url_object(v, code)]
            if len(peers) < _MIN_MODULE_PEERS + 1 or len(authorizing) * 5 < (len(peers) - 1) * 4:
                return
        elif len(authorizing) * 3 < len(writers) * 2:
            return
        for view in writers:
            if view.writes_level == AUTHN and not view.restricted and not view.models and not owned_by_requester(view.node):
                self.report(view.node, f"View {view.node.name} changes data with login only, while "
                            f"{len(authorizing)} of the module's {len(peers) - 1} other {kind} "
                            "check a role or permission: any signed-in user can do here what the others reserve.",
                            fix="Add the role or permission check its sibling views make (a decorator, a mixin, or "
                            "the test at the top of the view).")

    def _checks_url_object(self, view: View, code: ProjectCode) -> bool:
        """A function view whose access decorator checks a value from its URL (the object it acts on): it reads
        `kwargs["pk"]`, or is given django-guardian's lookup (`(Collection, "pk", "pk")`)."""
        return isinstance(view.node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            code.checked_captures(self.qualname(d.func if isinstance(d, ast.Call) else d)) or _object_lookup(d)
            for d in view.node.decorator_list)

    def _endpoints(self, views: list[View]) -> list[View]:
        """The module's views, less the shared bases other views there build on (no endpoints)."""
        bases = {last_part(b) for v in views if isinstance(v.node, ast.ClassDef) for b in
                 (self.qualname(x) or "" for x in v.node.bases)}
        return [v for v in views if v.node.name not in bases]

    def _anonymous_writer(self, views: list[View]) -> None:
        """A view that changes data with no login at all, where two thirds of the module's views that change data
        (three or more) require at least a login. (Patient-data writes by anyone are WG301's.)"""
        writers = self._writers(views)
        if len(writers) < _MIN_PEERS:
            return
        signed_in = [v for v in writers if v.writes_level >= AUTHN]
        if len(signed_in) * 3 < len(writers) * 2:
            return
        for view in writers:
            if view.writes_level == NONE and not view.models and not _PUBLIC_BY_NAME.search(view.node.name) \
                    and not consults_user(view.node):
                self.report(view.node, f"View {view.node.name} changes data with no login at all, while "
                            f"{len(signed_in)} of the module's {len(writers) - 1} other views that change data require "
                            "one: anyone who can reach the site can do here what the others keep to signed-in users.",
                            fix="Add the login (and any role check) its sibling views have, or mark it public on "
                            "purpose (`login_not_required`) if it must be.")

    def _unchecked_capture(self, views: list[View]) -> None:
        """A view or handler taking a named URL capture and checking nothing, where two thirds of the module's
        views taking the same capture (three or more in all) check the caller's access."""
        units = [u for v in views for u in _units(v)]
        for capture in sorted({c for _, _, _, caps in units for c in caps}):
            takers = [u for u in units if capture in u[3]]
            checking = [u for u in takers if u[2]]
            # A norm: two thirds of three or more, or half of four or more (`project_key` checked in half a module's
            # views is checked on purpose; the other half forgot).
            if not (len(takers) >= _MIN_PEERS and len(checking) * 3 >= len(takers) * 2
                    or len(takers) > _MIN_PEERS and len(checking) * 2 >= len(takers)):
                continue
            for name, fn, checks, _ in takers:
                if checks or consults_user(fn) or decorated_for_access(fn, self.ctx.imports) or not _touches_data(fn):
                    continue
                self.report(fn, f"{name} takes `{capture}` from its URL and checks nothing about the caller, while "
                            f"{len(checking)} of the module's {len(takers) - 1} other views taking `{capture}` check the "
                            f"caller's access (such as {checking[0][0]}, line {checking[0][1].lineno}): any caller "
                            f"who reaches it can act on any `{capture}`.",
                            fix=f"Make the check {checking[0][0]} makes on `{capture}` here too.")

    def _missing_mixin(self, code: ProjectCode, views: list[View]) -> None:
        module = self.ctx.imports.module
        if len(views) < _MIN_PEERS:
            return
        guards = {id(v): _project_guards(code, f"{module}.{v.node.name}") for v in views}
        guarded = [v for v in views if guards[id(v)]]
        if len(guarded) * 3 < len(views) * 2:
            return
        norm = sorted({g for v in guarded for g in guards[id(v)]})
        for view in views:
            if guards[id(view)] or not _names_record_from_url(view, code, f"{module}.{view.node.name}") or not (
                    set(view.models) & {m for v in guarded for m in v.models}):
                continue
            others = len(guarded)
            self.report(view.node, f"View {view.node.name} acts on a record named in its URL "
                        f"({', '.join(last_part(m) for m in view.models)}) without the project's access check that "
                        f"{others} of the module's {len(views) - 1} other patient-data views use "
                        f"({', '.join(norm[:3])}): any user who passes its other checks can reach any patient's "
                        "records through it.",
                        fix=f"Add {norm[0]} (or the check it makes) to {view.node.name}, as its sibling views do.")


def _project_guards(code: ProjectCode, q: str) -> set[str]:
    """The project's own classes in the view's ancestry that authorize in dispatch()/test_func()."""
    out = set()
    for a in code.ancestors(q):
        info = code.lookup(a)
        if info is not None and info.qualname != q and (
                info.guard_level >= AUTHZ or {"test_func", "has_permission"} & set(info.methods)):
            out.add(last_part(info.qualname))
    return out


def _names_record_from_url(view: View, code: ProjectCode, q: str) -> bool:
    """A single-object generic view (its `pk`/`slug` comes from the URL), `self.kwargs[...]` anywhere in the
    class, or a handler taking `pk`/`*_id`."""
    if any(last_part(a) in SINGLE_OBJECT_VIEWS for a in code.ancestors(q)):
        return True
    for n in walk(view.node):
        if isinstance(n, ast.Attribute) and n.attr == "kwargs" and isinstance(n.value, ast.Name) and n.value.id == "self":
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                a.arg == "pk" or a.arg.endswith("_id") for a in n.args.args[1:]):
            return True
    return False


# Views public by design: signing up, logging in, resetting a password with an e-mailed token, webhooks.
_PUBLIC_BY_NAME = re.compile(r"sign_?up|regist|login|log_in|logout|reset|forgot|activat|verif|webhook|callback|hook|"
                             r"health|ping|status", re.IGNORECASE)
# URL captures too generic to say that two views name the same kind of thing.
_GENERIC_CAPTURES = frozenset({"pk", "id", "slug", "uuid", "format", "args", "kwargs"})
def _object_lookup(decorator: ast.expr) -> bool:
    """`@permission_required("app.change_x", (X, "pk", "pk"))`: django-guardian's lookup of the object to check."""
    return isinstance(decorator, ast.Call) and any(
        isinstance(a, ast.Tuple) and len(a.elts) >= 3 and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                                              for e in a.elts[1:])
        for a in [*decorator.args, *(k.value for k in decorator.keywords)])


Unit = tuple[str, "ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef", bool, set[str]]


def _units(view: View) -> list[Unit]:
    """(name, function, whether it checks the caller's access, named URL captures it reads) for a function
    view, or for each request handler a class view defines."""
    node = view.node
    if not isinstance(node, ast.ClassDef):
        checks = view.restricted or min(view.reads, view.writes_level if view.writes else AUTHZ) >= AUTHZ
        return [(node.name, node, checks, _captures(node, method=False))]
    out: list[Unit] = []
    for m in node.body:
        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in view.handler_levels:
            checks = view.restricted or view.handler_level(m.name) >= AUTHZ
            out.append((f"{node.name}.{m.name}", m, checks, _captures(m, method=True)))
    if not out:  # its handlers are a generic view's (`TemplateView.get`): the class is the unit
        caps = {c for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                for c in _captures(m, method=True, params=m.name == "dispatch")}
        out.append((node.name, node, view.restricted or view.reads >= AUTHZ, caps))
    return out


def _captures(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool, params: bool = True) -> set[str]:
    """Named URL captures a handler reads: its parameters after the request, `kwargs["org_id"]`,
    `self.kwargs.get("org_id")`. (A method that is no handler, `params=False`: only `self.kwargs`.)"""
    names = [a.arg for a in fn.args.args][1 if method else 0:]
    takes_request = bool(names) and names[0] == "request"
    if not takes_request and not (method and not params):
        return set()
    found = set(names[1:]) if takes_request and params else set()
    holders = {"kwargs", "self.kwargs"} | ({fn.args.kwarg.arg} if fn.args.kwarg else set())
    for n in walk(fn):
        key = None
        if isinstance(n, ast.Subscript) and dotted(n.value) in holders:
            key = n.slice
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and \
                dotted(n.func.value) in holders and n.args:
            key = n.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.add(key.value)
    return found - _GENERIC_CAPTURES


# Calls that reach stored rows or hand work to a task queue.
_DATA_CALLS = frozenset({"get_object_or_404", "get_list_or_404", "get_object", "get_queryset", "save", "delete",
                         "update", "create", "bulk_create", "bulk_update", "delay", "apply_async"})


def _touches_data(node: ast.AST) -> bool:
    """The view reads or changes stored rows (`Model.objects...`, `get_object_or_404`, `.save()`) or starts a task;
    one that only redirects or renders a form acts on nothing the capture names."""
    return any(isinstance(n, ast.Attribute) and n.attr == "objects" or isinstance(n, ast.Call) and (
        last_part(dotted(n.func) or "") in _DATA_CALLS) for n in walk(node))
