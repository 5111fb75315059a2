from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..names import last_part
from ..secrets import (
    ACCOUNT_CREATORS,
    is_secret_name,
    literal_value,
    looks_dummy,
    looks_like_secret_value,
    name_tokens,
    real_looking_in_test,
    token_kind,
)

_AUTH_CLASSES = {"HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth", "BasicAuth", "DigestAuth"}
_PASSWORD_WORDS = {"password", "passwd", "pwd", "pass", "passphrase"}


class HardcodedAuthPassword(Check):
    """## What it does
    Flags credentials passed as literals in a call: `requests.get(url, auth=("user", "pw"))`,
    `HTTPBasicAuth("user", "pw")`, httpx/aiohttp equivalents, and secret-named keyword arguments
    such as `connect(password="...")` or `Client(api_key="...")`. `password=None`, values from
    variables or the environment, and placeholders pass. In test modules (`tests.py`, `tests/`,
    `test_*.py`) fixture and `override_settings` values pass unless they look like a real key
    (no dummy/test/fake/example wording, 20+ random characters). So do accounts seeded with a test password
    (`create_user(..., password="testpass123")`) or one spelled as their own user name.

    ## Why is this bad?
    Integration passwords (lab feeds, PACS, pharmacy wholesalers, HL7 gateways) open systems
    full of patient results. Hard-coded, they cannot be rotated without a release, they are
    shared by every deployment, and anyone with the repository can log in as the hospital.
    HIPAA §164.312(d) person or entity authentication; §164.308(a)(5)(ii)(D) password management.

    ## Example
    ```python
    requests.get(LAB_FEED_URL, auth=("stmary-sync", "Nw-Path-Sync-2024!"), timeout=30)
    ```

    Use instead:
    ```python
    requests.get(LAB_FEED_URL, auth=(settings.LAB_FEED_USER, settings.LAB_FEED_PASSWORD), timeout=30)
    ```
    with both settings read from the environment; rotate the exposed password.
    """

    code = "WG105"
    name = "hardcoded-auth-password"
    category = Category.SECRET
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 259
    summary = "Password or API key passed as a literal in a call (auth=(user, 'pw'), password='...')"
    hipaa = "§164.312(d) person or entity authentication; §164.308(a)(5)(ii)(D) password management"

    VALID = (
        # Seed accounts for an end-to-end run: a test password, and passwords spelled as the user name.
        Valid("""\
            from django.contrib.auth import get_user_model

            def seed():
                get_user_model().objects.create_user(username="manager", password="testpass123")
                get_user_model().objects.create_user(username="recupero", email="recupero@test.com",
                                                     password="recupero")
            """, path="testing_utils/views.py"),
        # A push service's device token addresses a phone; it opens nothing (the server key does).
        Valid("""\
            from accounts.models import User

            def make_reporter():
                return User.objects.create(username="r1", fcm_token="cAEB3jpvQ-SHtTrFmuHuhW:APA91bFAniPLajWJT21tJdA3Iv")
            """),
        # An option whose default is no credential (the user name), or a password option with no default.
        Valid("""\
            import argparse

            parser = argparse.ArgumentParser()
            parser.add_argument("--user", default="pfcon")
            parser.add_argument("--password", help="the compute resource's password")
            """, path="plugins/manage.py"),
        Valid("""\
            import requests
            requests.get(u, auth=(settings.FEED_USER, settings.FEED_PASSWORD))
            """),
        Valid('key = serialization.load_pem_private_key(pem, password=None)\n'),
        Valid('forms.CharField(label="Password", widget=forms.PasswordInput)\n'),
        Valid('User.objects.create_user("nurse", password="correct-horse-battery")\n', path="clinic/tests/test_auth.py"),
        Valid("""\
            requests.get(u, auth=("apikey", ""))
            connect(password="changeme")
            """),
        # Obvious dummies in a Django `tests.py`: fixtures and override_settings, not production secrets.
        Valid("""\
            from django.test import TestCase, override_settings as ovr

            @ovr(SMS_GATEWAY_API_KEY="dummy-key-for-tests", STRIPE_SECRET_KEY="sk_test_dummy")
            class LabTests(TestCase):
                def setUp(self):
                    self.user = User.objects.create_user("nurse", password="test-password-123")
            """, path="lab/tests.py"),
    )
    INVALID = (
        # A command-line option's default password: every deployment that runs the command without it uses it.
        Invalid("""\
            from django.core.management.base import BaseCommand

            class Command(BaseCommand):
                def add_arguments(self, parser):
                    parser.add_argument("--password", default="pfcon1234", help="the compute resource's password")
            """, line=5, path="plugins/management/commands/add_compute.py"),
        Invalid("""\
            import requests

            def pull(since):
                return requests.get(URL, params={"since": since}, auth=("sync", "Nw-Path-Sync-2024!"))
            """, line=4),
        Invalid("""\
            from requests.auth import HTTPBasicAuth as Basic
            AUTH = Basic("pacs", "Pacs-Gateway-99")
            """, line=2),
        Invalid("""\
            import psycopg2
            conn = psycopg2.connect(
                host="db", user="emr",
                password="Emr-Pr0d-pw",
            )
            """, line=2),
        Invalid("""\
            import httpx
            client = httpx.Client(auth=["svc", "S3rvice-Acc0unt"])
            """, line=2),
        # A real-looking random key is a leak even in a tests module.
        Invalid("""\
            from django.test import override_settings

            @override_settings(SMS_GATEWAY_API_KEY="q8Xr2LmZ0pV7sN4tY1wB6kD9")
            def test_send():
                pass
            """, line=3, path="lab/tests.py"),
        # The production superuser a deploy command makes opens with a password the source gives away.
        Invalid("""\
            from django.contrib.auth import get_user_model

            def bootstrap():
                get_user_model().objects.create_superuser(username="admin", password="Wr4ngler-Ward-7!")
            """, line=4, path="accounts/management/commands/bootstrap.py"),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if last_part(self.qualname(node.func)) in _AUTH_CLASSES and len(node.args) >= 2:
            self._check(node, node.args[1], password_like=True)
        option = _option_name(node)
        for kw in node.keywords:
            if kw.arg == "default" and option and is_secret_name(option):
                # argparse: `add_argument("--password", default="pfcon1234")` is the password whoever runs it gets
                self._check(node, kw.value, password_like=bool(_PASSWORD_WORDS & set(name_tokens(option))))
            elif kw.arg == "auth" and isinstance(kw.value, (ast.Tuple, ast.List)) and len(kw.value.elts) == 2:
                self._check(node, kw.value.elts[1], password_like=True)
            elif kw.arg and is_secret_name(kw.arg):
                tokens = set(name_tokens(kw.arg))
                self._check(node, kw.value, password_like=bool(_PASSWORD_WORDS & tokens),
                            short_ok=bool(_PASSWORD_WORDS - {"pass"} & tokens))  # `PASSWORD="cc3721b"`

    def _check(self, call: ast.Call, value: ast.expr, *, password_like: bool, short_ok: bool = False) -> None:
        literal = literal_value(value, self.ctx.imports)
        if literal is None or token_kind(literal) or not looks_like_secret_value(literal, password_like=password_like,
                                                                                 short_ok=short_ok):
            return  # known token formats are WG103's
        if self.ctx.src.looks_like_test and not real_looking_in_test(literal):
            return  # fixture credentials and `override_settings(API_KEY="dummy-key")` in tests
        if _seed_login(call, literal):
            return  # `create_user(username="prof", password="prof")`, `password="testpass123"`: a fixture account
        self.report(call, f"Credential passed as a literal in a call ({mask(literal)}).", end_node=call,
                    fix="Pass settings read from the environment or a secrets manager, e.g. "
                    "auth=(settings.FEED_USER, settings.FEED_PASSWORD); rotate the exposed password.",
                    secret=literal)


def _option_name(call: ast.Call) -> str | None:
    """The destination of an argparse/click option (`add_argument("--auth-password", ...)` -> `auth_password`)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("add_argument", "option")):
        return None
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    long = [n for n in names if n.startswith("--")] or names
    return long[0].lstrip("-").replace("-", "_") if long else None


def _seed_login(call: ast.Call, literal: str) -> bool:
    """An account made with a password spelled as a test value (`testpass123`) or as its own user name
    (`create_user(username="prof", password="prof")`): a seed or fixture login anyone can guess, not a credential
    to another system (a seed command run in production is a weak-password problem, not a leaked secret)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ACCOUNT_CREATORS):
        return False
    names = {k.value.value for k in call.keywords
             if k.arg in ("username", "email") and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
    names |= {n.split("@", 1)[0] for n in names}
    return looks_dummy(literal) or literal in names
