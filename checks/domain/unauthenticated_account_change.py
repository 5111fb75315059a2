from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.views import NONE, all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..secrets import ACCOUNT_CALLS
from ..source import SourceFile
from ..walk import walk

# Calls that create accounts or set credentials.
_ACCOUNT_CALLS = ACCOUNT_CALLS | {"set_unusable_password"}
# Public by design: self sign-up, and password resets that verify an emailed token.
_PUBLIC_NAME = re.compile(r"sign_?up|regist|enrol|join|invit", re.IGNORECASE)
_TOKEN_CHECKS = frozenset({"check_token", "PasswordResetConfirmView", "PasswordResetView", "verify_token"})
_RESET_NAME = re.compile(r"reset|forgot|recover", re.IGNORECASE)


class UnauthenticatedAccountChange(Check):
    """## What it does
    Flags a view that anyone can call without signing in and that creates user accounts or sets a
    user's password or PIN (`User.objects.create_user(...)`, `user.set_password(...)`). Sign-up views
    (named for sign-up or registration) and password-reset views that verify an emailed token are
    public by design and are not flagged; nor are views no request reaches. In a project that holds patient
    data and checks nothing beyond the login anywhere, it also flags open self-registration where it is decided:
    django-registration's URLs with `REGISTRATION_OPEN` not False, or django-allauth's whose `ACCOUNT_ADAPTER`
    leaves `is_open_for_signup()` open (a setting it returns, read from settings; from the environment: not
    decided, not flagged).

    ## Why is this bad?
    In a hospital system every account is a key to patient records. An endpoint that creates staff
    accounts, or sets any user's password by username, lets anyone on the network become a clinician:
    every other access control then protects nothing.

    ## Example
    ```python
    class UpdatePasswordView(APIView):
        authentication_classes = ()
        permission_classes = ()

        def put(self, request):
            user = User.objects.get(username=request.data["username"])
            user.set_password(request.data["password"])
            user.save()
    ```

    Use instead:
    ```python
    class UpdatePasswordView(APIView):
        permission_classes = [IsAuthenticated]

        def put(self, request):
            request.user.set_password(request.data["password"])
            request.user.save()
    ```
    """

    code = "WG304"
    name = "unauthenticated-account-change"
    category = Category.PERMISSION
    severity = Severity.CRITICAL
    confidence = Confidence.MEDIUM
    cwe = 306
    summary = "Anyone can create user accounts or set passwords without signing in"

    VALID = (
        Valid("""\
            from rest_framework.views import APIView
            from django.contrib.auth.models import User

            from rest_framework.permissions import IsAuthenticated

            class Pwd(APIView):
                permission_classes = [IsAuthenticated]

                def put(self, request):
                    request.user.set_password(request.data['password'])
                    request.user.save()
            """, path="accounts/api.py"),
        Valid("""\
            from rest_framework.views import APIView
            from django.contrib.auth.models import User

            class ResetPasswordConfirm(APIView):
                authentication_classes = ()
                permission_classes = ()

                def post(self, request):
                    t = ResetToken.objects.get(key=request.data['token'])
                    t.user.set_password(request.data['password'])
            """, path="accounts/api.py"),
        # The reset link's key, captured by the URL and held in a local name, picks the account.
        Valid("""\
            from django.contrib.auth import get_user_model
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView

            class ResetPassword(APIView):
                permission_classes = [AllowAny]

                def post(self, *args, **kwargs):
                    reset_key = kwargs.get("reset_key")
                    user = get_user_model().objects.get(reset_key=reset_key)
                    user.set_password(args[0].POST["password"])
                    user.save()
            """, path="accounts/api.py"),
        Valid("""\
            from rest_framework.views import APIView
            from django.contrib.auth.models import User

            class SignUpView(APIView):
                authentication_classes = ()
                permission_classes = ()

                def post(self, request):
                    User.objects.create_user(request.data['email'])
            """, path="accounts/api.py"),
    )
    INVALID = (
        Invalid("""\
            from rest_framework.views import APIView
            from django.contrib.auth.models import User

            from pin.models import PIN

            class UpdatePINView(APIView):
                authentication_classes = ()
                permission_classes = ()

                def put(self, request):
                    user = User.objects.get(username=request.data['username'])
                    p = PIN.objects.get_or_create(user=user)[0]
                    p.pin = request.data['pin']
                    p.save()
            """, line=6, path="accounts/api.py"),
        Invalid("""\
            from rest_framework.views import APIView
            from django.contrib.auth.models import User

            class UpdatePasswordView(APIView):
                authentication_classes = ()
                permission_classes = ()

                def put(self, request):
                    user = User.objects.get(username=request.data['username'])
                    user.set_password(request.data['password'])
                    user.save()
            """, line=4, path="accounts/api.py"),
        Invalid("""\
            from django.views.generic import FormView
            from django.contrib.auth.models import User

            class BulkCreateUserView(FormView):
                def form_valid(self, form):
                    for email in form.cleaned_data['users']:
                        User.objects.create_user(email, email=email)
            """, line=4, path="accounts/views.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        self._open_sign_up(node)
        for view in all_views(self.ctx, node):
            if view.unknown or view.unreachable or _PUBLIC_NAME.search(view.node.name):
                continue
            open_level = view.writes_level if view.writes else view.reads
            if open_level != NONE:
                continue
            names = {last_part(self.ctx.imports.qualname(n.func) or "") if isinstance(n, ast.Call) else ""
                     for n in walk(view.node)} | {n.func.attr for n in walk(view.node) if isinstance(n, ast.Call)
                                                  and isinstance(n.func, ast.Attribute)}
            if names & _TOKEN_CHECKS or any(last_part(b) in _TOKEN_CHECKS for b in self._bases(view.node)):
                continue
            if _RESET_NAME.search(view.node.name) and _reads_token(view.node):
                continue  # a reset confirmed by the emailed token the request carries
            hit = sorted(names & _ACCOUNT_CALLS) or [f"setting .{a}" for a in _credential_assignments(view.node)][:1]
            if hit:
                what = hit[0] if hit[0].startswith("setting") else f"calling {hit[0]}()"
                self.report(view.node, f"View {view.node.name} changes credentials ({what}) and anyone can reach it "
                            "without signing in: it can create accounts or take over existing ones.",
                            fix="Require an authenticated, authorized administrator (e.g. permission_classes = "
                            "[IsAdminUser] or @permission_required('auth.add_user')), or limit it to the user's own "
                            "account behind login.")

    def _open_sign_up(self, node: ast.Module) -> None:
        """Self-registration routed and open (django-registration, django-allauth) in a project where signing in
        is all the authorization there is: anyone can register, and every registered user reaches every patient
        record. Reported where it is decided: the setting, the adapter, or the include of the sign-up URLs."""
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None or not code.sign_up or code.authorization or not models.patient:
            return
        sign_up = code.open_sign_up()
        if sign_up.open is not True or sign_up.path != self.ctx.path:
            return  # closed, decided at run time (an environment variable), or reported in another file
        stmt = next((n for n in walk(node) if isinstance(n, ast.stmt) and getattr(n, "lineno", 0) == sign_up.line), None)
        if stmt is None:
            return
        self.report(stmt, f"Anyone can create an account ({sign_up.why}), and this project checks only that a user "
                    "is signed in, never a role: every self-registered user can read and change patient records.",
                    fix="Close self-registration (REGISTRATION_OPEN = False, or an allauth adapter whose "
                    "is_open_for_signup() returns False), or require a role or permission on the patient views.")

    def _bases(self, node: ast.AST) -> list[str]:
        return [self.ctx.imports.qualname(b) or "" for b in node.bases] if isinstance(node, ast.ClassDef) else []


_CREDENTIAL_ATTRS = frozenset({"password", "pin", "passcode", "pin_code", "otp_secret"})


def _credential_assignments(node: ast.AST) -> list[str]:
    """`pinobj.pin = pin`, `user.password = ...`: a credential written on a fetched object."""
    return [t.attr for n in walk(node) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Attribute) and t.attr in _CREDENTIAL_ATTRS and not (
                isinstance(t.value, ast.Name) and t.value.id == "self")]


def _reads_token(node: ast.AST) -> bool:
    """The view reads a reset token from the request (`validated_data["token"]`, `kwargs["token"]`)."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "token" in n.value.lower()
               for n in walk(node))
