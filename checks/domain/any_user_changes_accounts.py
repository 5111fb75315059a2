from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.drf_generic import changes_rows, replaced
from ..facts.guards import AUTHZ, LEVEL_NAMES, mentions_user
from ..facts.views import View, all_views, served_model_refs
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# The bases every Django user model is built on, and Django's own user model.
_USER_BASES = ("AbstractUser", "AbstractBaseUser")
_DJANGO_USER = "django.contrib.auth.models.User"
# DRF's write actions and the bases that bring each; the write handlers a class may define itself.
_DRF_WRITES = {
    "update": {"ModelViewSet", "UpdateModelMixin", "UpdateAPIView", "RetrieveUpdateAPIView", "RetrieveUpdateDestroyAPIView"},
    "destroy": {"ModelViewSet", "DestroyModelMixin", "DestroyAPIView", "RetrieveDestroyAPIView",
                "RetrieveUpdateDestroyAPIView"},
}
_WRITE_HANDLERS = ("update", "partial_update", "destroy", "put", "patch", "delete")

_ACCOUNTS = ("accounts/models.py", """\
    from django.contrib.auth.models import AbstractUser
    from django.db import models

    class Member(AbstractUser):
        phone = models.CharField(max_length=20)
    """)


class AnyUserChangesAccounts(Check):
    """## What it does
    Flags a DRF view that changes or deletes user accounts (rows of Django's user model or of a project
    model built on `AbstractUser`/`AbstractBaseUser`) where any signed-in user passes its permission
    classes for writes and its rows are not restricted to the requesting user: a `ModelViewSet` over
    `User.objects.all()` with only `IsAuthenticated`. A view whose `get_queryset()` or `get_object()`
    reads the requesting user, or whose own write handlers act on the requester (`self.request.user`),
    changes their own account and is not flagged; nor is one whose permission classes require a role or
    object permission for writes.

    ## Why is this bad?
    Every account is a key to patient records. An endpoint that lets any signed-in user update or delete
    any account lets a patient or a junior user change a clinician's e-mail address (and so take over the
    account through a password reset), rename them, or delete them: account takeover and denial of
    service in one request (OWASP API1 and API5:2023).

    ## Example
    ```python
    class UserViewSet(viewsets.ModelViewSet):
        queryset = User.objects.all()
        serializer_class = UserSerializer
        permission_classes = [IsAuthenticated]
    ```

    Use instead: a read-only viewset for the directory, and changes through a view of the requester's own
    account (`get_object()` returning `request.user`) or one that requires an administrator.
    """

    code = "WG316"
    name = "any-user-changes-accounts"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Any signed-in user can change or delete any user account through the API"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # A logout on a DestroyAPIView: its own delete() ends the session; the inherited destroy() never runs.
        Valid("""\
            from django.contrib.auth import logout
            from django.contrib.auth.models import User
            from rest_framework import generics
            from rest_framework.permissions import AllowAny
            from rest_framework.response import Response

            class UserLogout(generics.DestroyAPIView):
                queryset = User.objects.all()
                permission_classes = (AllowAny,)

                def delete(self, request, *args, **kwargs):
                    logout(request)
                    return Response({})
            """, path="accounts/api.py", files=(_ACCOUNTS,)),
        # A password change acts on the requester's own account.
        Valid("""\
            from django.contrib.auth.models import User
            from rest_framework.generics import UpdateAPIView
            from rest_framework.response import Response

            class ChangePassword(UpdateAPIView):
                queryset = User.objects.all()

                def update(self, request, *args, **kwargs):
                    request.user.set_password(request.data["new_password"])
                    request.user.save()
                    return Response(status=204)
            """, path="accounts/api.py", files=(_ACCOUNTS,)),
        # Only the requester's own account.
        Valid("""\
            from rest_framework import generics, permissions
            from accounts.models import Member
            from accounts.serializers import MemberSerializer

            class MyAccount(generics.RetrieveUpdateAPIView):
                queryset = Member.objects.all()
                serializer_class = MemberSerializer
                permission_classes = [permissions.IsAuthenticated]

                def get_object(self):
                    return self.request.user
            """, path="accounts/api.py", files=(_ACCOUNTS,)),
        # Administrators only.
        Valid("""\
            from rest_framework import permissions, viewsets
            from accounts.models import Member
            from accounts.serializers import MemberSerializer

            class MemberViewSet(viewsets.ModelViewSet):
                queryset = Member.objects.all()
                serializer_class = MemberSerializer
                permission_classes = [permissions.IsAdminUser]
            """, path="accounts/api.py", files=(_ACCOUNTS,)),
        # Reading the directory changes nothing.
        Valid("""\
            from django.contrib.auth.models import User
            from rest_framework import permissions, viewsets
            from accounts.serializers import UserSerializer

            class UserViewSet(viewsets.ReadOnlyModelViewSet):
                queryset = User.objects.all()
                serializer_class = UserSerializer
                permission_classes = [permissions.IsAuthenticated]
            """, path="accounts/api.py", files=(_ACCOUNTS,)),
    )
    INVALID = (
        Invalid("""\
            from django.contrib.auth.models import User
            from rest_framework import permissions, viewsets
            from accounts.serializers import UserSerializer

            class UserViewSet(viewsets.ModelViewSet):
                queryset = User.objects.all()
                serializer_class = UserSerializer
                permission_classes = [permissions.IsAuthenticated]
            """, line=5, path="accounts/api.py", files=(_ACCOUNTS,)),
        # The project's user model, named in get_queryset(); only retrieve is limited to the requester, and the
        # extra action's staff test guards only that action.
        Invalid("""\
            from rest_framework import permissions, viewsets
            from rest_framework.decorators import action
            from rest_framework.response import Response
            from accounts.models import Member
            from accounts.permissions import IsSelf
            from accounts.serializers import MemberSerializer

            class MemberViewSet(viewsets.ModelViewSet):
                serializer_class = MemberSerializer

                def get_permissions(self):
                    classes = [permissions.IsAuthenticated]
                    if self.action == "retrieve":
                        classes.append(IsSelf)
                    return [c() for c in classes]

                def get_queryset(self):
                    return Member.objects.order_by("last_name")

                @action(detail=False)
                def clinicians(self, request):
                    if not request.user.is_staff:
                        return Response(status=403)
                    return Response([])
            """, line=8, path="accounts/api.py", files=(_ACCOUNTS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None:
            return
        for view in all_views(self.ctx, node):
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or not view.drf or not view.writes or view.restricted \
                    or view.unknown or view.unreachable or _serves_requester(cls):
                continue
            # The handlers that change an account taken from the URL: DRF's inherited update/destroy, and the class's
            # own write handlers unless they act on the requester (`self.object = self.request.user`). Each is guarded
            # by the shared permission classes and its own check (an extra action's role test guards only itself).
            writes = self._account_writes(cls, code)
            if not writes:
                continue
            level = min(view.handler_level(h) for h in writes)
            if level >= AUTHZ:
                continue
            account = self._account_model(view, cls, code, models)
            if account is None:
                continue
            self.report(cls, f"{cls.name} lets {LEVEL_NAMES[level]} change or delete any "
                        f"{last_part(account)} account: its permission classes ask nothing more for writes, and "
                        "its rows are every account, not the requester's own.",
                        fix="Serve only the requester's account (`get_object()` returning `request.user`), or "
                        "require an administrator for writes; keep the directory read-only.")

    def _account_writes(self, cls: ast.ClassDef, code: ProjectCode) -> list[str]:
        own = {m.name: m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        bases = {last_part(a) for a in code.ancestors(f"{self.ctx.imports.module}.{cls.name}")}
        inherited = [h for h, givers in _DRF_WRITES.items() if bases & givers and h not in own and not replaced(cls, h)]
        return inherited + [h for h in _WRITE_HANDLERS if h in own and not mentions_user(own[h], set())
                            and changes_rows(own[h])]

    def _account_model(self, view: View, cls: ast.ClassDef, code: ProjectCode, models: ModelIndex) -> str | None:
        return next((r for r in served_model_refs(code, self.ctx.imports, cls) if _is_user_model(r, models)), None)


def _serves_requester(cls: ast.ClassDef) -> bool:
    """get_object()/get_queryset() read the requesting user: the requester's own account."""
    return any(isinstance(m, ast.FunctionDef) and m.name in ("get_object", "get_queryset") and mentions_user(m, set())
               for m in cls.body)


def _is_user_model(ref: str, models: ModelIndex, depth: int = 4) -> bool:
    if ref == _DJANGO_USER or ref.endswith("settings.AUTH_USER_MODEL"):
        return True
    info = models.lookup(ref)
    if info is None or depth == 0:
        return False
    return any(last_part(b) in _USER_BASES or _is_user_model(b, models, depth - 1) for b in info.bases)
