from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..secrets import connection_string_password, looks_dummy, string_literals, url_password


class CredentialsInUrl(Check):
    """## What it does
    Flags string literals holding a connection URL with an embedded password,
    `scheme://user:password@host` (Redis, PostgreSQL, AMQP, SMTP, HTTP basic auth…), or an ODBC / ADO.NET
    connection string with one (`SERVER=10.0.0.4;UID=sa;PWD=...`), including literal fallbacks of environment
    lookups. Placeholders (`${DB_PASSWORD}`, `<password>`, `PWD=%s`) pass.

    ## Why is this bad?
    Connection URLs are copied into logs, error reports and dashboards, and the repository
    holds them forever. The password opens the cache, queue or database that carries patient
    sessions, results and documents — outside the application's access control and audit trail.
    HIPAA §164.312(a)(1) access control and §164.312(d) person or entity authentication.

    ## Example
    ```python
    REDIS_URL = "redis://:Cl1nic-Redis-Pa55@cache.internal:6379/0"
    ```

    Use instead:
    ```python
    REDIS_URL = os.environ["REDIS_URL"]
    ```
    Rotate the exposed password.
    """

    code = "WG104"
    name = "credentials-in-url"
    category = Category.SECRET
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 798
    summary = "Password embedded in a connection URL literal"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        Valid("""\
            import os
            REDIS_URL = os.environ["REDIS_URL"]
            """),
        Valid("""\
            BROKER = "amqp://guest@localhost:5672//"
            DOCS = "https://example.org/a:b@c"
            """),
        Valid('DATABASE_URL = "postgres://app:${DB_PASSWORD}@db:5432/emr"\n'),
        # A container's default login, the password repeating the user name, as the fallback of a setting.
        Valid('DATABASES = {"default": env.db("DATABASE_URL", default="postgres://debug:debug@postgres/clinic")}\n'),
        Valid('TEMPLATE = "postgres://<user>:<password>@<host>/<db>"\n'),
        # The local container's stock password: no server anyone relies on accepts it.
        Valid("""\
            import environ
            env = environ.Env()
            DATABASES = {"default": env.db(default="postgis://postgres:postgres@localhost:5432/healthcheck")}
            """),
        Valid('URL = "postgres://u:fakepass@localhost/test"\n', path="app/tests/test_db.py"),
        # A connection string filled in from settings.
        Valid("LAB_DSN = 'DSN=%s;UID=%s;PWD=%s;DATABASE=%s' % (dsn, user, password, database)\n"),
        Valid("""\
            def test_strip_password():
                assert strip_password("http://a:b@c:d/e") == "http://a@c/e"
            """, path="mrs/tests/test_context_processors.py"),
        Valid("""\
            from django.test import override_settings

            @override_settings(CACHE_URL="redis://:placeholder-pass@localhost:6379/0")
            def test_cache():
                pass
            """, path="lab/tests.py"),
    )
    INVALID = (
        Invalid('REDIS_URL = "redis://:Cl1nic-Redis-Pa55@cache.internal:6379/0"\n', line=1),
        Invalid("""\
            LAB_DSN = ('DRIVER={FreeTDS};SERVER=192.168.1.141;UID=sa;PWD=Lab-db-2015;'
                       'DATABASE=BHPLAB')
            """, line=1),
        Invalid("""\
            import os
            DB = os.environ.get("DATABASE_URL", "postgres://emr:S3cr3t-pw@db.internal/emr")
            """, line=2),
        Invalid("""\
            import dj_database_url as d
            DATABASES = {
                "default": d.parse("mysql://root:r00t-Pw@10.0.0.4/his"),
            }
            """, line=2),
        Invalid("""\
            def feed():
                return fetch(f"{BASE}", proxy="http://svc:Pr0xy-pass@proxy:3128")
            """, line=2),
        # A real-looking password stays a leak in a tests module.
        Invalid("""\
            from django.test import TestCase

            class CacheTests(TestCase):
                url = "redis://:Cl1nic-Redis-Pa55@cache.internal:6379/0"
            """, line=4, path="lab/tests.py"),
    )

    def visit_Module(self, node: ast.Module) -> None:
        for stmt, _const, text in self.ctx.shared("string_literals", lambda: string_literals(node)):
            pw = url_password(text) or connection_string_password(text)
            # In a test, a placeholder or a one-to-three-character password (`http://a:b@c/e`) is an example.
            if pw is None or (self.ctx.src.looks_like_test and (looks_dummy(text) or len(pw) <= 3)):
                continue
            self.report(
                stmt,
                f"Connection {'URL' if url_password(text) else 'string'} carries a hard-coded password ({mask(pw)}).",
                fix="Read the whole URL (or just its password) from the environment or a secrets manager, "
                "and rotate the exposed password.",
                secret=pw,
            )
