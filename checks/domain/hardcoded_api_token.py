from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..secrets import looks_dummy, string_literals, token_kind


class HardcodedApiToken(Check):
    """## What it does
    Flags string literals anywhere in the code that contain a credential in a recognisable
    vendor format: Anthropic (`sk-ant-`), OpenAI (`sk-`, `sk-proj-`), AWS access key ids
    (`AKIA`/`ASIA`), Stripe live keys (`sk_live_`, `rk_live_`), GitHub (`ghp_`, `github_pat_`),
    Slack (`xoxb-`…), SendGrid (`SG.x.y`), Twilio (`SK` + 32 hex), Google (`AIza`), and PEM
    private-key blocks — including literal fallbacks of environment lookups. In test modules,
    obvious dummies (dummy/test/fake/example/placeholder/changeme wording) pass; live-format
    keys without such wording are still flagged.

    ## Why is this bad?
    A token in the repository is a token for everyone who can read it: contractors, CI logs,
    forks, backups. In a hospital these keys reach systems that hold or move patient data
    (S3 buckets of scanned referrals, Slack channels with critical results, e-mail relays), so
    a leaked key is a reportable breach waiting to happen. HIPAA §164.312(a)(1) access control
    and §164.312(d) person or entity authentication.

    ## Example
    ```python
    SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "xoxb-1234-5678-abcdEFGHijkl")
    ```

    Use instead:
    ```python
    SLACK_BOT_TOKEN = os.environ["SLACK_BOT_TOKEN"]
    ```
    Revoke the exposed token at the vendor: it stays in the git history.
    """

    code = "WG103"
    name = "hardcoded-api-token"
    category = Category.SECRET
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 798
    summary = "API key, token or private key in a recognisable vendor format hard-coded in source"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        Valid("""\
            import os
            SLACK_BOT_TOKEN = os.environ["SLACK_BOT_TOKEN"]
            """),
        Valid("""\
            OPENAI_API_KEY = "<your-openai-key>"
            STRIPE_KEY = "sk_live_..."
            """),
        Valid('''\
            PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfakeFAKEfakeFAKEfake00
            """
            '''),
        Valid('HEADER = "-----BEGIN PRIVATE KEY-----"  # a parser constant, no key material\n'),
        Valid('STRIPE = "sk_live_FAKEfakeFAKEfakeFAKE0000"\n', path="billing/tests/test_payments.py"),
        Valid("""\
            task_id = "askdjfh-skeleton-row"
            label = "sk-1"
            """),
        # Obvious dummies in a Django `tests.py` (and Stripe test-mode keys anywhere).
        Valid("""\
            from django.test import override_settings

            @override_settings(STRIPE_SECRET_KEY="sk_live_dummyDUMMYdummyDUMMY00", STRIPE_TEST="sk_test_4eC39HqLyjWDar")
            def test_refund():
                pass
            """, path="billing/tests.py"),
    )
    INVALID = (
        Invalid("""\
            import os
            TOKEN = os.environ.get("SLACK_BOT_TOKEN", "xoxb-000000000000-0000000000000-FAKEfakeFAKE")
            """, line=2),
        Invalid('AWS_ACCESS_KEY_ID = "AKIAZZZFAKE0CLINIC00"\n', line=1),
        Invalid("""\
            from decouple import config as cfg

            KEY = cfg("STRIPE", default="sk_live_51FAKEfakeFAKEfakeFAKE00")
            """, line=3),
        Invalid("""\
            def client():
                return Anthropic(api_key="sk-ant-api03-FAKEfakeFAKEfakeFAKEfake0000")
            """, line=2),
        Invalid('''\
            SIGNING_KEY = """-----BEGIN RSA PRIVATE KEY-----
            MIIEowIBAAKCAQEAq7BFUAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake0000
            -----END RSA PRIVATE KEY-----
            """
            ''', line=1),
        # A live-format key with no dummy wording is a leak even in a tests module.
        Invalid("""\
            from django.test import TestCase

            class RefundTests(TestCase):
                key = "sk_live_51Hq8XrLmZ0pV7sN4tY1wB6kD9"
            """, line=4, path="billing/tests.py"),
        Invalid("""\
            HEADERS = {
                "Accept": "application/json",
                "Authorization": "Bearer ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000",
            }
            """, line=1),
    )

    def visit_Module(self, node: ast.Module) -> None:
        for stmt, _const, text in self.ctx.shared("string_literals", lambda: string_literals(node)):
            found = token_kind(text)
            if found is None:
                continue
            kind, secret = found
            if self.ctx.src.looks_like_test and looks_dummy(secret):
                continue
            self.report(
                stmt,
                f"{kind} hard-coded in source ({mask(secret) if kind != 'private key block' else 'masked'}): "
                "anyone with the source can use it.",
                fix="Load it from the environment or a secrets manager (os.environ[...], Vault, AWS Secrets "
                "Manager) with no literal default, and revoke/rotate the exposed credential.",
                secret=text,
            )
