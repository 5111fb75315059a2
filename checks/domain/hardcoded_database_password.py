from __future__ import annotations

import ast

from ..base import Check, FileContext, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..secrets import (
    ci_only_nodes,
    development_only,
    is_placeholder,
    is_template_marker,
    literal_value,
    target_name,
)

_DB_KEYS = {"ENGINE", "NAME", "HOST", "USER", "PORT"}


class HardcodedDatabasePassword(Check):
    """## What it does
    Flags a literal database password in Django's `DATABASES` setting: in the dict literal, in
    `DATABASES["replica"] = {...}`, in `DATABASES["default"]["PASSWORD"] = "..."`, in any
    connection dict that has `ENGINE`/`HOST`-style keys, and as the literal fallback of an
    environment lookup (`os.environ.get("DB_PASSWORD", "s3cret")`), a weak word included (`"password"`: the server
    connects with it whenever the variable is missing); a template marker (`"<db-password>"`) is not flagged.

    ## Why is this bad?
    The clinical database holds every patient's record. A password in the repository gives
    direct SQL access to it to anyone who can read the code, bypassing the application's
    access control and audit trail entirely. HIPAA §164.312(a)(1) access control and
    §164.312(d) person or entity authentication.

    ## Example
    ```python
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "Emr-2019!"}}
    ```

    Use instead:
    ```python
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                             "PASSWORD": os.environ["POSTGRES_PASSWORD"]}}
    ```
    Rotate the exposed password.
    """

    code = "WG102"
    name = "hardcoded-database-password"
    category = Category.SECRET
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 259
    summary = "Database password written as a literal in DATABASES"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        # A settings template an install script fills in (its PORT is a word, not a number).
        Valid("""\
            DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "USER": "djangouser",
                                     "PASSWORD": "djangopass", "PORT": "djangoport", "HOST": "djangohost"}}
            """, path="conf/template_settings.py"),
        Valid("""\
            import os
            if os.environ.get("GITHUB_WORKFLOW"):
                DATABASES = {"default": {"NAME": "ci_db", "PASSWORD": "postgres"}}
            """),
        Valid("""\
            import os
            DATABASES = {"default": {
                "ENGINE": "x",
                "PASSWORD": os.environ.get("DB_PW", ""),
            }}
            """, path="proj/settings.py"),
        Valid('DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "PASSWORD": ""}}\n'),
        Valid('DATABASES = {"default": {"ENGINE": "x", "PASSWORD": "<db-password>"}}\n'),
        Valid("""\
            import os
            DATABASES = {"default": {"ENGINE": "x", "PASSWORD": os.environ.get("DB_PASSWORD", "<db-password>")}}
            """),
        Valid('FORM_LABELS = {"PASSWORD": "Your password please"}\n'),
        Valid("""\
            import environ
            env = environ.Env()
            DATABASES = {"default": env.db("DATABASE_URL")}
            """),
    )
    INVALID = (
        Invalid("""\
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "PASSWORD": "Clinic-Db-2024!",
                }
            }
            """, line=4, path="proj/settings/prod.py"),
        Invalid("""\
            DATABASES = {}
            if True:
                DATABASES["legacy"] = {"ENGINE": "x", "USER": "ro", "PASSWORD": "Emr-R3ad0nly"}
            """, line=3),
        Invalid("""\
            from .base import DATABASES
            DATABASES["default"]["PASSWORD"] = "hunter2-prod"
            """, line=2),
        Invalid("""\
            import os as o
            REPLICA = {"HOST": "db2", "NAME": "emr", "PASSWORD": o.getenv("PW", "Repl1ca-pw")}
            """, line=2),
        # What the server connects with whenever the variable is unset.
        Invalid("""\
            import os
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                                     "PASSWORD": os.environ.get("POSTGRES_PASSWORD", "password")}}
            """, line=3, path="proj/settings.py"),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._in_databases = 0
        self._ci_only: set[int] | None = None  # computed on the first candidate only: most files have none

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            base = t
            while isinstance(base, ast.Subscript):
                base = base.value
            if target_name(base) == "DATABASES":
                self._in_databases += 1
                if target_name(t) == "PASSWORD" and isinstance(t, ast.Subscript):
                    self._check(node, node.value, node.value)

    def leave_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            base = t
            while isinstance(base, ast.Subscript):
                base = base.value
            if target_name(base) == "DATABASES":
                self._in_databases -= 1

    def visit_Dict(self, node: ast.Dict) -> None:
        keys = {k.value: v for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if "PASSWORD" not in keys:
            return
        if _template(keys):
            return
        if self._in_databases or len(_DB_KEYS & set(keys)) >= 1:
            key = next(k for k in node.keys if isinstance(k, ast.Constant) and k.value == "PASSWORD")
            self._check(key, keys["PASSWORD"], keys["PASSWORD"])

    def _check(self, start: ast.AST, value: ast.expr, end: ast.AST) -> None:
        literal = literal_value(value, self.ctx.imports)
        if literal is None or self.ctx.src.looks_like_test or development_only(self.ctx):
            return
        # A fallback is what the server connects with when the variable is missing: a weak word is still a
        # password the database accepts (a template marker like `<db-password>` is not).
        fallback = not isinstance(value, ast.Constant)
        if is_placeholder(literal) and not (fallback and literal.strip() and not is_template_marker(literal)):
            return
        if self._ci_only is None:
            self._ci_only = ci_only_nodes(self.ctx.src.tree) if self.ctx.src.tree is not None else set()
        if id(start) in self._ci_only:
            return  # a CI job's throwaway database (`if os.environ.get("GITHUB_WORKFLOW"):`) is not a secret
        how = "falls back to a literal when the environment variable is missing" if fallback else "hard-coded"
        self.report(start, f"Database password {how} ({mask(literal)}).", end_node=end,
                    fix='Read it from the environment: "PASSWORD": os.environ["POSTGRES_PASSWORD"] '
                    "(or a DATABASE_URL secret), and rotate the exposed password.", secret=literal)


def _template(keys: dict[str, ast.expr]) -> bool:
    """A connection dict of a settings template an install script fills in: its PORT is a word, not a number
    (`"PORT": "djangoport"` beside `"PASSWORD": "djangopass"`), so no database was ever reached with it."""
    port = keys.get("PORT")
    return (isinstance(port, ast.Constant) and isinstance(port.value, str) and port.value.strip() != ""
            and not port.value.strip().isdigit())
