from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..secrets import (
    ACCOUNT_CALLS,
    development_only,
    is_placeholder,
    is_secret_name,
    literal_value,
    looks_like_secret_value,
    name_tokens,
    names_itself,
    real_looking_in_test,
    target_name,
    token_kind,
    url_password,
)
from ..walk import walk

_PASSWORD_WORDS = {"password", "passwd", "pwd", "pass", "passphrase"}
_OWNED_ELSEWHERE = {"SECRET_KEY", "DJANGO_SECRET_KEY", "PASSWORD"}  # WG101, WG102

# Keys this service signs or verifies with itself: a placeholder fallback is a working key (an
# outbound token's placeholder only makes the remote call fail).
_LOCAL_KEY_WORDS = frozenset({"hmac", "signing"})
# Keys that encrypt the service's own data: in a test, the test's own rows and files, and nothing outside the run
# (a token, password or shared signing secret in a test may still be a real account's).
# Calls that make or reset a login's password.
_DATA_KEY_WORDS = frozenset({"encryption", "decryption", "cipher", "fernet", "aes"})

# The server runs production.py (asgi.py's default); manage.py defaults to local.py, which turns DEBUG on.
_SERVED_ELSEWHERE = (
    ("config/asgi.py", """\
        import os
        from django.core.asgi import get_asgi_application
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
        application = get_asgi_application()
        """),
    ("manage.py", """\
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        """),
    ("config/settings/production.py", "import os\nLDAP_BIND_PASSWORD = os.environ['LDAP_BIND_PASSWORD']\n"),
)

# A webhook view that verifies the sender's HMAC signature with a setting.
_HOOK_VIEW = ("recordings/views.py", """\
    import hashlib
    import hmac
    import requests
    from django.conf import settings

    def recorder_hook(request):
        key = bytes(settings.RECORDER_HOOK_KEY, "utf-8")
        return hmac.new(key, request.body, hashlib.sha1).hexdigest() == request.headers["X-Signature"]
    """)


class HardcodedSecretAssignment(Check):
    """## What it does
    Flags a string literal assigned to a secret-like name (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`,
    `API_KEY`, `AWS_SECRET_ACCESS_KEY`, `client_secret`…), directly, as a dict entry, or as the
    literal fallback of an environment lookup. Passwords are flagged whatever they look like;
    keys and tokens when the value is long and random (Shannon entropy). Names that only
    describe a secret (`PASSWORD_RESET_TIMEOUT`, `TOKEN_TTL`, `password_label`), public
    fingerprints (`*_SHA256`, `*_PUBKEY*`), UUIDs and placeholders (`changeme`, `<api-key>`, values
    whose words ask to be replaced or say they are not used: `replace_with_random_string`, `your_key_here`,
    `not-used-private-key-jwt`) pass (except a placeholder
    fallback of a key the service signs or verifies with itself, `*_HMAC_*` / `*_SIGNING_*`: that
    placeholder becomes the working key); any literal fallback of a setting the project verifies incoming requests
    with (the key of an `hmac.new()`, of a `jwt.decode()`, a token compared with a request header) is flagged,
    whatever it looks like; in test modules, and in settings modules only a
    developer's machine loads (`DEBUG = True`, not what the WSGI/ASGI entry points serve:
    cookiecutter-django's `local.py`), so do fixture values (dummy/test/fake/example wording,
    `sk_test_` keys, readable passwords), but not a 20+ character random key, except a test's
    encryption key (`*_ENCRYPTION_KEY`, a Fernet or AES key in a test module): the code under
    test encrypts only the test's own data with it. The edit-protection password of a spreadsheet the project
    writes (openpyxl's `sheet.protection.password`, `wb.security.workbookPassword`) opens nothing and passes.

    ## Why is this bad?
    A credential in source is shared with everyone who can read the repository and cannot be
    rotated without a release. These credentials open services that hold or move patient data.
    HIPAA §164.312(a)(1) access control; §164.312(d) person or entity authentication.

    ## Example
    ```python
    AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    ```

    Use instead:
    ```python
    AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]  # or an instance role
    ```
    Rotate the exposed credential.
    """

    code = "WG106"
    name = "hardcoded-secret-assignment"
    category = Category.SECRET
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 798
    summary = "Literal password, token or key assigned to a secret-like name"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        # An exported spreadsheet's edit protection opens nothing.
        Valid("""\
            def template(wb):
                sheet = wb["Metadata"]
                sheet.protection.sheet = True
                sheet.protection.password = "xQvzLit1@SS69"
            """, path="reports/export.py"),
        # The same fallback of a key the service only sends out: a missing variable makes the remote call fail.
        Valid("""\
            import os
            RECORDER_HOOK_KEY = os.environ.get("RECORDER_HOOK_KEY", "abcdefghijkl1")
            """, path="project/settings.py", files=((_HOOK_VIEW[0], _HOOK_VIEW[1].replace(
                "hmac.new(key, request.body, hashlib.sha1).hexdigest() == request.headers[\"X-Signature\"]",
                "requests.post(URL, headers={\"X-Key\": key}).ok")),)),
        # A short fallback that makes no login (a mail relay's optional password): not a guessable account.
        Valid("""\
            import os

            SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "none")
            """, path="mailer/config.py"),
        # Google's published reCAPTCHA test secret: it passes every check and guards nothing.
        Valid("""\
            import environ
            env = environ.Env()
            GOOGLE_RECAPTCHA_SECRET_KEY = env("GOOGLE_RECAPTCHA_SECRET_KEY", default="6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe")
            """),
        # An outbound token's placeholder only makes the remote call fail.
        Valid("""\
            import os
            VLM_CLIENT_SECRET = os.environ.get("VLM_CLIENT_SECRET", "unknown_client_secret")
            """),
        Valid("""\
            import os
            MESSAGE_SENDER_TOKEN = os.environ.get("MESSAGE_SENDER_TOKEN", "REPLACEME")
            """),
        Valid("""\
            PASSWORD_RESET_TIMEOUT = 60 * 60 * 2
            API_TOKEN_TTL_SECONDS = 8 * 3600
            EMAIL_HOST_USER = "apikey"
            """),
        Valid("""\
            password_label = "Password"
            TOKEN_HEADER = "HTTP_X_KIOSK_TOKEN"
            """),
        Valid('LAB_FEED_TLS_PUBKEY_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n'),
        Valid("""\
            import os
            ANALYTICS_WRITE_KEY = os.environ.get("ANALYTICS_WRITE_KEY", "<your-write-key>")
            """),
        # Values written to be replaced: their words ask for it.
        Valid("""\
            import os
            os.environ["FLASK_SECRET_KEY"] = "replace_with_random_string"
            STRIPE_API_KEY = "put_your_stripe_api_key_here"
            LAB_FEED_CLIENT_SECRET = "enterYourClientSecret"
            OIDC_RP_CLIENT_SECRET = "not-used-private-key-jwt"
            """),
        Valid("""\
            API_KEY = "3f2b7c1e-9a4d-4e8f-b6a1-0c2d3e4f5a6b"
            TOKEN_MODEL = "rest_framework.authtoken.Token"
            """),
        Valid('DB_PASSWORD = "not-a-real-pw"\n', path="clinic/tests/settings_test.py"),
        # A test's encryption key: what it encrypts is the test's own data.
        Valid("""\
            class RecordFixtures:
                DEFAULT_ENCRYPTION_KEY = "q8Xr2LmZ0pV7sN4tY1wB6kD9hJ3fT5wA"
                FERNET_SECRET = "Zk3v9Qp0Lr7XwT2mN8bY5cH1aQ4sD6fG"
            """, path="clinic/tests/helpers.py"),
        Valid('PRIVATE_KEY_PATH = "/etc/clinic/keys/rx-signing.pem"\n'),
        Valid("""\
            from django.test import TestCase

            class PayTests(TestCase):
                STRIPE_SECRET_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
                API_TOKEN = "placeholder-token-value"
            """, path="billing/tests.py"),
        # An action name spelled as its own constant, not a token (camera/monitor integrations).
        Valid("""\
            import enum

            class Actions(enum.Enum):
                GET_STREAM_TOKEN = "get_stream_token"
                REFRESH_ACCESS_TOKEN = "refreshAccessToken"
            """),
        # A command name that contains the constant's name: a CLI entry point, not a key.
        Valid('GENERATE_NEW_DJANGO_SECRET_KEY = "crate_generate_new_django_secret_key"\n'),
        Valid('EMAIL_HOST_PASSWORD = "mypassword"\n'),
        # A development settings module: manage.py runs it, the ASGI server runs production.py.
        Valid("""\
            DEBUG = True
            SUPERUSER_PASSWORD = "clinic1234"
            LDAP_BIND_PASSWORD = "clinic1234"
            """, path="config/settings/local.py", files=_SERVED_ELSEWHERE),
    )
    INVALID = (
        # The webhook view verifies signatures with this setting: its fallback is a key anyone can sign with.
        Invalid("""\
            import os
            RECORDER_HOOK_KEY = os.environ.get("RECORDER_HOOK_KEY", "abcdefghijkl1")
            """, line=2, path="project/settings.py", files=(_HOOK_VIEW,)),
        # The admin account an init command creates opens with "admin" wherever ADMIN_PASSWORD is not set.
        Invalid("""\
            import os
            from django.contrib.auth.models import User
            from django.core.management.base import BaseCommand

            ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "admin")

            class Command(BaseCommand):
                def handle(self, *args, **options):
                    User.objects.create_superuser("admin", "admin@example.org", password=ADMIN_PASSWORD)
            """, line=5, path="accounts/management/commands/load_initial_data.py"),
        # The key inbound webhooks are verified with: a placeholder fallback lets anyone sign them.
        Invalid("""\
            import os
            TURN_HMAC_SECRET = os.environ.get("TURN_HMAC_SECRET", "REPLACEME")
            """, line=2),
        Invalid('AWS_SECRET_ACCESS_KEY = "fAkE0sEcReT0aCcEsS0kEy0fOr0sTmArY0cLiNiC"\n', line=1),
        Invalid("""\
            import os
            SMTP_PASSWORD = os.getenv("SMTP_PASSWORD", "Relay-pw-2024")
            """, line=2),
        Invalid("""\
            class Cfg:
                client_secret: str = "q8Xr2LmZ0pV7sN4tY1wB6kD9"
            """, line=2),
        Invalid("""\
            CONFIG = {
                "url": "https://pacs.internal",
                "api_token": "Zk3v9Qp0Lr7XwT2mN8bY5cH1",
            }
            """, line=3),
        Invalid('TWILIO_AUTH_TOKEN = "0a1b2c3d4e5f67890a1b2c3d4e5f6789"\n', line=1),
        # Outside tests, the same encryption key protects real patient data.
        Invalid("""\
            class RecordFixtures:
                DEFAULT_ENCRYPTION_KEY = "q8Xr2LmZ0pV7sN4tY1wB6kD9hJ3fT5wA"
            """, line=2, path="clinic/crypto.py"),
        # A random, real-looking token committed in a test settings module is still a leak.
        Invalid("""\
            DEBUG = False
            LAB_FEED_API_TOKEN = "Zk3v9Qp0Lr7XwT2mN8bY5cH1"
            """, line=2, path="clinic/tests/settings_test.py"),
        # The same module when the server runs it (asgi.py defaults to it): a production password.
        Invalid("""\
            DEBUG = True
            LDAP_BIND_PASSWORD = "clinic1234"
            """, line=2, path="config/settings/local.py", files=(("config/asgi.py", """\
                import os
                from django.core.asgi import get_asgi_application
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
                application = get_asgi_application()
                """),)),
        # A random key in a development settings module can still be a real account's (a vendor sandbox's).
        Invalid("""\
            DEBUG = True
            LAB_FEED_API_TOKEN = "Zk3v9Qp0Lr7XwT2mN8bY5cH1"
            """, line=2, path="config/settings/local.py", files=_SERVED_ELSEWHERE),
    )

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            if not _document_protection(t):
                self._check(node, target_name(t), node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check(node, target_name(node.target), node.value)

    def visit_Dict(self, node: ast.Dict) -> None:
        keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        if "ENGINE" in keys:  # a DATABASES entry: WG102's
            return
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                self._check(k, k.value, v, end=v)

    def _verifies_requests(self, name: str, value: ast.expr | None) -> tuple[str, int, str] | None:
        """Where the project verifies incoming requests with the setting `name`, when this is a settings module
        reading it from the environment with a fallback."""
        if value is None or isinstance(value, ast.Constant) or not self.ctx.src.looks_like_settings:
            return None
        keys: dict[str, tuple[str, int, str]] | None = self.ctx.project.fact("verifying_keys")
        return keys.get(name) if keys else None

    def _account_password_site(self, name: str) -> int | None:
        """The line where the module makes or resets an account's password from `name` (`create_user(...,
        password=ADMIN_PASSWORD)`, `user.set_password(ADMIN_PASSWORD)`)."""
        tree = self.ctx.src.tree
        for n in walk(tree) if tree is not None else ():
            if not isinstance(n, ast.Call):
                continue
            given = [k.value for k in n.keywords if k.arg == "password"]
            if isinstance(n.func, ast.Attribute) and n.func.attr in ACCOUNT_CALLS:
                given += n.args
            if any(isinstance(v, ast.Name) and v.id == name for v in given):
                return n.lineno
        return None

    def _check(self, node: ast.AST, name: str | None, value: ast.expr | None, end: ast.AST | None = None) -> None:
        if not name or name in _OWNED_ELSEWHERE:
            return
        verifier = self._verifies_requests(name, value)
        if not (is_secret_name(name) or verifier):
            return
        literal = literal_value(value, self.ctx.imports)
        if literal is None or token_kind(literal) or url_password(literal):
            return  # known formats and URLs have their own rules
        password_like = bool(_PASSWORD_WORDS & set(name_tokens(name)))
        says_password = bool(_PASSWORD_WORDS - {"pass"} & set(name_tokens(name)))  # not `Pass = "1lqasOK"`
        if names_itself(name, literal):
            return  # a constant spelled as its own name: GET_STREAM_TOKEN = "get_stream_token"
        # Test modules, and settings modules only developers run: what they hold reaches no server.
        fixtures = self.ctx.src.looks_like_test or development_only(self.ctx)
        if verifier is not None and literal.strip() and not fixtures:
            path, line, how = verifier
            self.report(node, f"`{name}` falls back to a literal ({mask(literal)}) when its environment variable is "
                        f"missing, and {path}:{line} verifies incoming requests with it ({how}): anyone who reads "
                        "the source can then sign requests this service accepts.", end_node=end,
                        fix=_no_default(name, "key stops the service instead of opening it"), secret=literal)
            return
        if _LOCAL_KEY_WORDS & set(name_tokens(name)) and not isinstance(value, ast.Constant) and literal.strip() \
                and is_placeholder(literal) and not fixtures:
            self.report(node, f"`{name}` falls back to the placeholder {literal!r} when its environment variable is "
                        "missing: this service then signs or verifies with a key everyone can read, so anyone can "
                        "forge what it checks (webhook signatures, tokens).", end_node=end,
                        fix=_no_default(name, "key stops the service instead of opening it"))
            return
        if not looks_like_secret_value(literal, password_like=password_like, short_ok=says_password):
            if password_like and not isinstance(value, ast.Constant) and not fixtures and literal.strip() \
                    and (site := self._account_password_site(name)):
                # too short or too common to be a secret, which is the problem: the account opens with it (even
                # "changeme" is the password of an account made with it)
                self.report(node, f"`{name}` falls back to a literal password ({mask(literal)}) when its environment "
                            f"variable is missing, and the account made with it (line {site}) then opens with "
                            "a password anyone with the source knows.", end_node=end,
                            fix=_no_default(name, "password stops the command instead of creating a known login"),
                            secret=literal)
            return
        if fixtures and not real_looking_in_test(literal):
            return  # fixture values: "test-password", "dummy-key", Stripe sk_test_ keys, a dev superuser's password
        if fixtures and _DATA_KEY_WORDS & set(name_tokens(name)):
            return  # a test's or a developer's encryption key: it encrypts that run's own data, no patient's
        self.report(node, f"`{name}` is assigned a hard-coded credential ({mask(literal)}).", end_node=end,
                    fix=f'Read it from the environment or a secrets manager: {name} = os.environ["{name.upper()}"] '
                    "(no literal default), and rotate the exposed value.", secret=literal)


def _document_protection(target: ast.expr) -> bool:
    """`sheet.protection.password = "..."`, `wb.security.workbookPassword = "..."` (openpyxl): the password of an
    Excel file's edit protection, which only keeps casual hands off a file the project hands out; it opens nothing."""
    chain = []
    while isinstance(target, ast.Attribute):
        chain.append(target.attr)
        target = target.value
    return len(chain) >= 2 and chain[1] in ("protection", "security")


def _no_default(name: str, effect: str) -> str:
    """The fix for a literal fallback: read the variable with no default, so that a missing one stops the program."""
    return f'Read it with no default: {name} = os.environ["{name.upper()}"], so a missing {effect}.'
