from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.drf_generic import replaced
from ..facts.views import NONE, View, all_views
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

# What a caller proves itself with: a header, a query or form token, a signature over the body.
_CREDENTIAL = re.compile(r"auth|token|secret|signature|sig\b|hmac|api[-_]?key|key\b|password|passwd", re.IGNORECASE)
# DRF's generic views and mixins that change rows already stored (`UpdateAPIView`, `DestroyModelMixin`, ...).
_CHANGING = {"Update": "change", "Destroy": "delete"}
_ACTION = {"Update": "update", "Destroy": "destroy"}
_VERIFY = re.compile(r"verify|validate_sig|check_sig|signature|authenticat|compare_digest|hmac|check_token|"
                     r"validate_token|is_valid_token", re.IGNORECASE)


class UnauthenticatedWebhook(Check):
    """## What it does
    Flags a routed function view marked `@csrf_exempt` (or wrapped in `csrf_exempt(...)` where urls.py routes
    it; an endpoint for other machines: an SMS gateway's
    callback, a PACS or lab interface, an import trigger) that requires no login and checks no credential of
    its caller, yet changes data, itself or through the project functions and Celery tasks it calls. A
    credential check is a read of a header such as `Authorization` or `X-Hub-Signature`, of a `token`,
    `key` or `signature` parameter, a comparison with a setting, or a call that verifies one (`hmac`,
    `compare_digest`, `verify_*`), in the view or in a function of its module it hands the request to
    (`return wrap_api(request, f)`). Also flags a DRF class view that updates or deletes rows (`UpdateAPIView`,
    `DestroyModelMixin`, a `ModelViewSet`, or an `APIView` whose `post()`/`put()`... saves or deletes a row it
    fetched by the caller's values) with no permission to pass (no `permission_classes` and no
    `DEFAULT_PERMISSION_CLASSES`, or `AllowAny`): DRF exempts its views from CSRF too, and an anonymous caller
    passes. Patient rows are WG301's; a create-only endpoint (a public form, sign-up) may be public by design.

    ## Why is this bad?
    `csrf_exempt` removes the one check Django would make on an anonymous POST. Anyone who can reach the URL
    can then create, change or delete what the endpoint writes: fake delivery receipts, imported studies,
    patients' "please call me" requests. HIPAA §164.312(a)(1) access control; §164.312(d) person or entity
    authentication.

    ## Example
    ```python
    @csrf_exempt
    def delivery_report(request):
        sms = SendSMS.objects.get(identifier=request.POST["id"])
        sms.status = request.POST["status"]
        sms.save()
    ```

    Use instead: authenticate the caller (a shared secret in a header compared with `hmac.compare_digest`,
    or the gateway's signature) before anything is written.
    """

    code = "WG311"
    name = "unauthenticated-webhook"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 306
    summary = "CSRF-exempt endpoint (or open DRF view) changes data without authenticating its caller"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        # Anonymous callers may read; writes need a login (IsAuthenticatedOrReadOnly).
        Valid("""\
            from rest_framework import mixins, permissions, viewsets
            from calendar_app.models import CampaignGroup

            class CampaignGroupViewSet(mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
                queryset = CampaignGroup.objects.all()
                permission_classes = [permissions.IsAuthenticatedOrReadOnly]
            """, path="calendar_app/views.py", files=(("calendar_app/models.py", """\
                from django.db import models

                class CampaignGroup(models.Model):
                    name = models.CharField(max_length=80)
                """),)),
        # The view hands its request to the module's API wrapper, which checks the caller's token.
        Valid("""\
            import json
            from django.http import HttpResponseBadRequest
            from django.views.decorators.csrf import csrf_exempt
            from lims.models import Tag

            def wrap_api(request, f):
                data = json.loads(request.body)
                if not data.get("token"):
                    return HttpResponseBadRequest()
                return f(data)

            @csrf_exempt
            def add_tag(request):
                def f(data):
                    Tag.objects.create(name=data["name"])
                return wrap_api(request, f)
            """, path="lims/api_views.py"),
        Valid("""\
            import hmac
            from django.conf import settings
            from django.views.decorators.csrf import csrf_exempt
            from gateway.models import SendSMS

            @csrf_exempt
            def delivery_report(request):
                if not hmac.compare_digest(request.headers.get('X-Token', ''), settings.GATEWAY_TOKEN):
                    return HttpResponseForbidden()
                sms = SendSMS.objects.get(identifier=request.POST['id'])
                sms.status = request.POST['status']
                sms.save()
            """, path="gateway/views.py"),
        # Reads only.
        Valid("""\
            from django.http import JsonResponse
            from django.views.decorators.csrf import csrf_exempt
            from gateway.models import SendSMS

            @csrf_exempt
            def status(request):
                return JsonResponse({'n': SendSMS.objects.count()})
            """, path="gateway/views.py"),
        # Create-only, as a public form or sign-up may be by design; and an API that requires a login.
        Valid("""\
            from rest_framework.generics import CreateAPIView, UpdateAPIView
            from rest_framework.permissions import IsAuthenticated
            from feedback.models import Comment

            class Feedback(CreateAPIView):
                queryset = Comment.objects.all()

            class EditComment(UpdateAPIView):
                permission_classes = [IsAuthenticated]
                queryset = Comment.objects.all()
            """, path="feedback/views.py"),
        Valid("""\
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView
            from twilio.request_validator import RequestValidator
            from gateway.models import ContactMessage, Invite

            class SMSStatusCallback(APIView):
                permission_classes = [AllowAny]

                def post(self, request):
                    signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
                    if not RequestValidator("t").validate(request.build_absolute_uri(), request.data, signature):
                        return None
                    invite = Invite.objects.get(message_sid=request.data.get("MessageSid"))
                    invite.save()

            class Contact(APIView):
                permission_classes = [AllowAny]

                def post(self, request):
                    message = ContactMessage(text=request.data.get("text"))
                    message.save()
            """, path="gateway/views.py"),
        # A DestroyAPIView whose delete() only ends the caller's session: the inherited destroy never runs.
        Valid("""\
            from django.contrib.auth import logout
            from rest_framework import generics
            from rest_framework.permissions import AllowAny
            from rest_framework.response import Response

            class UserLogout(generics.DestroyAPIView):
                permission_classes = (AllowAny,)

                def delete(self, request, *args, **kwargs):
                    logout(request)
                    return Response({})
            """, path="accounts/views.py"),
    )
    INVALID = (
        # The override still reaches the generic destroy.
        Invalid("""\
            from rest_framework.generics import DestroyAPIView
            from variants.models import VariantFlag

            class DeleteFlag(DestroyAPIView):
                queryset = VariantFlag.objects.all()

                def delete(self, request, *args, **kwargs):
                    return super().delete(request, *args, **kwargs)
            """, line=4, path="variants/views.py"),
        # DRF's default permission is AllowAny, and its views are exempt from CSRF.
        Invalid("""\
            from rest_framework.generics import DestroyAPIView
            from variants.models import VariantFlag

            class DeleteFlag(DestroyAPIView):
                queryset = VariantFlag.objects.all()
            """, line=4, path="variants/views.py"),
        Invalid("""\
            from django.views.decorators.csrf import csrf_exempt
            from gateway.models import SendSMS

            @csrf_exempt
            def delivery_report(request):
                sms = SendSMS.objects.get(identifier=request.POST['id'])
                sms.status = request.POST['status']
                sms.save()
            """, line=5, path="gateway/views.py"),
        # Exempted from CSRF where urls.py routes it; it trusts a chat user id from the body, and its message
        # about authentication checks nothing.
        Invalid("""\
            from django.contrib.auth.models import User
            from django.http import HttpResponse

            def bot_approve(request):
                user = User.objects.filter(username=request.POST["text"]).first()
                user.is_active = True
                user.save()
                return HttpResponse("User %s is now able to authenticate." % user.username)
            """, line=4, path="lims/bot_views.py", files=(("lims/urls.py", """\
            from django.urls import path
            from django.views.decorators.csrf import csrf_exempt
            from lims import bot_views

            urlpatterns = [path("bot/approve", csrf_exempt(bot_views.bot_approve))]
            """),)),
        # A DRF status callback open to anyone that updates whichever row the caller names.
        Invalid("""\
            from django.shortcuts import get_object_or_404
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView
            from gateway.models import Invite

            class SMSStatusCallback(APIView):
                permission_classes = [AllowAny]

                def post(self, request):
                    invite = get_object_or_404(Invite, message_sid=request.data.get("MessageSid"))
                    invite.status = request.data.get("MessageStatus")
                    invite.save()
            """, line=6, path="gateway/views.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        for view in all_views(self.ctx, node):
            fn = view.node
            # (what matters is who may write: `IsAuthenticatedOrReadOnly` opens reads only)
            if view.unknown or view.unreachable or not view.writes or view.writes_level > NONE:
                continue
            if isinstance(fn, ast.ClassDef):
                self._open_api_view(view, fn)
                continue
            if view.drf:
                continue
            if not (any(last_part(self.qualname(d.func if isinstance(d, ast.Call) else d) or "") == "csrf_exempt"
                        for d in fn.decorator_list) or self._exempted_in_urls(fn)) or _checks_credential(fn) \
                    or any(_checks_credential(g) for g in self._request_helpers(fn, node)):
                continue
            how = next((e for e in view.evidence if e.startswith("changes data through")), "")
            self.report(fn, f"{fn.name} is csrf_exempt, requires no login and checks no credential of its caller, "
                        f"yet changes data{' (' + how + ')' if how else ''}: anyone who can reach the URL can make it "
                        "write.", fix="Authenticate the caller before writing: a shared secret or signature in a "
                        "header, compared with hmac.compare_digest.")

    @staticmethod
    def _request_helpers(fn: ast.FunctionDef | ast.AsyncFunctionDef, module: ast.Module) -> list[ast.FunctionDef]:
        """The module's functions the view hands its request to (`return wrap_api(request, f)`): a credential
        they check guards the view."""
        called = {n.func.id for n in walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                  and any(isinstance(a, ast.Name) and a.id == "request" for a in n.args)}
        return [g for g in module.body if isinstance(g, ast.FunctionDef) and g.name in called and g is not fn]

    def _exempted_in_urls(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """`path("bot/approve", csrf_exempt(views.approve))`: exempted where it is routed."""
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return False
        wrappers = code.url_guards.get(code.url_key(f"{self.ctx.imports.module}.{fn.name}"), [])
        return any(last_part(w) == "csrf_exempt" for w in wrappers)

    def _open_api_view(self, view: View, cls: ast.ClassDef) -> None:
        """A DRF class view that updates or deletes rows with no permission to pass: DRF exempts its views from
        CSRF and an anonymous caller passes AllowAny, so anyone can change or delete any row by its id. (Patient
        rows are WG301's; a create-only endpoint may be public by design: sign-up, a public form.)"""
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if not view.drf or view.models or code is None or _checks_credential(cls):
            return
        q = f"{self.ctx.imports.module}.{cls.name}"
        changes = [verb for base, verb in _CHANGING.items()
                   if any(a.startswith("rest_framework.") and base in last_part(a) for a in code.ancestors(q))
                   and not replaced(cls, _ACTION[base])]
        changes = changes or _changes_fetched_rows(cls)
        if not changes:
            return
        self.report(cls, f"{cls.name} lets anyone {' and '.join(changes)} rows by id: "
                    f"{'; '.join(e for e in view.evidence if e)}. DRF exempts its views from CSRF and an anonymous "
                    "caller passes, so whoever reaches the URL can change what it serves.",
                    fix="Set permission_classes (IsAuthenticated and an object or role check), or "
                    "REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] for every view.")


_FETCH = frozenset({"get_object_or_404", "get", "first", "last"})
def _changes_fetched_rows(cls: ast.ClassDef) -> list[str]:
    """A handler of the class (`post()`, `put()`...) fetches an existing row (`get_object_or_404(...)`,
    `X.objects.get(...)`) and saves or deletes it, or updates/deletes a filtered queryset: a status callback
    changing whatever row the caller names."""
    out: list[str] = []
    for fn in (m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
               and m.name in ("post", "put", "patch", "delete")):
        fetched = {t.id for n in walk(fn) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                   and (last_part(dotted(n.value.func) or "") in _FETCH) for t in n.targets if isinstance(t, ast.Name)}
        for n in walk(fn):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
                continue
            verb = {"save": "change", "update": "change", "delete": "delete"}.get(n.func.attr)
            on = n.func.value
            if verb and (isinstance(on, ast.Name) and on.id in fetched and n.func.attr != "update" or (
                    n.func.attr != "save" and isinstance(on, ast.Call) and isinstance(on.func, ast.Attribute)
                    and on.func.attr == "filter")) and verb not in out:
                out.append(verb)
    return out


def _checks_credential(fn: ast.AST) -> bool:
    for n in walk(fn):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " not in n.value.strip() \
                and _CREDENTIAL.search(n.value):
            return True  # request.headers["Authorization"], request.GET.get("token"), META["HTTP_X_SIGNATURE"] (a
            # name, not a message: "User %s is now able to authenticate." checks nothing)
        if isinstance(n, ast.Call):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(n.func, ast.Name) else ""
            if _VERIFY.search(name):
                return True
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "settings" \
                and _CREDENTIAL.search(n.attr):
            return True  # compared with settings.WEBHOOK_SECRET
    return False
