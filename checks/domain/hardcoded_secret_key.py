from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Finding, Severity
from ..masking import mask
from ..secrets import development_only, is_placeholder, literal_fallback, names_itself, real_looking_in_test

_NAMES = {"SECRET_KEY", "DJANGO_SECRET_KEY"}


_WSGI = ("config/wsgi.py", """\
    import os
    from django.core.wsgi import get_wsgi_application
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    application = get_wsgi_application()
    """)


class HardcodedSecretKey(Check):
    """## What it does
    Flags a Django `SECRET_KEY` whose value is written in the source: a string literal, or a
    literal fallback of an environment lookup (`os.environ.get("SECRET_KEY", "...")`,
    `os.getenv`, django-environ's `env("SECRET_KEY", default="...")`). A placeholder fallback
    (`"REPLACEME"`) counts too: it becomes the working key when the variable is missing. A
    placeholder assigned outright (`SECRET_KEY = "changeme"`) and an empty fallback do not.

    ## Why is this bad?
    `SECRET_KEY` signs sessions, password-reset tokens and CSRF tokens. Anyone who reads the
    repository (a contractor, a leaked backup, a public fork) can forge a clinician's session
    and read or change patient records. A "development" fallback ends up in production the
    day the environment variable is missing, and nobody notices. HIPAA §164.312(a)(1)
    (access control) and §164.312(d) (person or entity authentication).

    ## Example
    ```python
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-q7#z!m2r9f$w8k+e3v")
    ```

    Use instead:
    ```python
    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]  # fails loudly when it is missing
    ```
    Rotate the exposed key: it is in the repository's history.
    """

    code = "WG101"
    name = "hardcoded-secret-key"
    category = Category.SECRET
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 798
    summary = "Django SECRET_KEY hard-coded in source (or as a literal fallback)"
    hipaa = "§164.312(a)(1) access control; §164.312(d) authentication"

    VALID = (
        Valid("""\
            import os
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """, path="proj/settings.py"),
        Valid("""\
            import os
            SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
            """, path="proj/settings.py"),
        Valid('SECRET_KEY = "changeme"\n', path="proj/settings.py"),
        # The settings refuse to load without the variable outside DEBUG: the fallback signs only on a laptop.
        Valid("""\
            import os
            SECRET_KEY = os.getenv("SECRET_KEY", "notsecret")
            DEBUG = os.getenv("DEBUG", False)
            if not DEBUG and "SECRET_KEY" not in os.environ:
                raise Exception("$SECRET_KEY is required if DEBUG is False")
            """, path="proj/settings.py"),
        Valid('SECRET_KEY = "<your-secret-key>"\n', path="proj/settings.py"),
        Valid('SECRET_KEY = "tests-only-key"\n', path="proj/testsettings.py"),
        # The name of a key in a config file the project reads, not the key.
        Valid('class HashConfigKeys:\n    SECRET_KEY = "secret_key"\n', path="anonymise/constants.py"),
        # A random-looking key in test settings that no server runs (wsgi.py serves production).
        Valid('SECRET_KEY = "I1hs8ZDzJIaBFPLviE7SzlPZU8rtMwJyvoKG7EopQD45A39xcF9W"\n', path="config/settings/test.py",
              files=(_WSGI, ("config/settings/production.py", "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n"))),
        Valid("""\
            import environ
            env = environ.Env()
            SECRET_KEY = env("DJANGO_SECRET_KEY")
            """, path="proj/settings.py"),
    )
    INVALID = (
        # The same key where nothing says which settings a server runs.
        Invalid('SECRET_KEY = "I1hs8ZDzJIaBFPLviE7SzlPZU8rtMwJyvoKG7EopQD45A39xcF9W"\n', line=1,
                path="config/settings/test.py", fixed="""\
            import os
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """),
        Invalid(
            'SECRET_KEY = "django-insecure-q7#z!m2r@local-dev-9f$w8k+e3v^b1x0c6n"\n', line=1, path="proj/settings.py",
            fixed="""\
            import os
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """),
        Invalid("""\
            import os
            SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "x9#kq2!zr7@p4$w8m+e3v^b1")
            """, line=2, path="proj/settings.py",
            fixed="""\
            import os
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """),
        Invalid("""\
            DEBUG = False
            SECRET_KEY = "q7#z!m2r@local-dev-9f$w8k+e3v"
            """, line=2, path="proj/settings.py",
            fixed="""\
            import os
            DEBUG = False
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """),
        Invalid("""\
            import os as o

            SECRET_KEY = o.environ.get("DJANGO_SECRET_KEY", "x9#kq2!zr7@p4$w8m+e3v^b1")
            """, line=3, path="proj/settings/base.py",
            fixed="""\
            import os
            import os as o

            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
            """),
        Invalid("""\
            from os import getenv
            SECRET_KEY = getenv("SECRET_KEY", default="k2#l9!mq7@x4$w8z+e3v^b1a")
            """, line=2, path="proj/settings.py",
            fixed="""\
            import os
            from os import getenv
            SECRET_KEY = os.environ["SECRET_KEY"]
            """),
        Invalid("""\
            import environ
            env = environ.Env()
            SECRET_KEY = env("SECRET_KEY", default="p0$9ak3#lmq7!x4w8z+e3v")
            """, line=3, path="proj/settings.py",
            fixed="""\
            import os
            import environ
            env = environ.Env()
            SECRET_KEY = os.environ["SECRET_KEY"]
            """),
        # A placeholder fallback signs sessions whenever the variable is missing.
        Invalid("""\
            import os
            SECRET_KEY = os.environ.get("SECRET_KEY", "REPLACEME")
            """, line=2, path="proj/settings.py",
            fixed="""\
            import os
            SECRET_KEY = os.environ["SECRET_KEY"]
            """),
    )

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if _is_secret_key_target(target):
                self._check_value(node, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None and _is_secret_key_target(node.target):
            self._check_value(node, node.value)

    def _check_value(self, stmt: ast.stmt, value: ast.expr) -> None:
        literal: str | None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            literal, how = value.value, "is a string literal"
            if is_placeholder(literal) or names_itself("SECRET_KEY", literal):
                return  # replaced at deploy: nothing falls back to it; or a config key's name (`"secret_key"`)
        else:
            literal = literal_fallback(value, self.ctx.imports)
            if literal is None or not literal.strip():
                return  # no fallback, or an empty one (Django refuses to start without a key)
            # A placeholder fallback is still a working key: Django signs with "REPLACEME" as readily as with
            # anything else, the day the variable is missing.
            how = ("falls back to a placeholder that Django uses as the real key when the variable is missing"
                   if is_placeholder(literal) else "falls back to a literal when the environment variable is missing")
        if self.ctx.src.looks_like_test and not real_looking_in_test(literal):
            return  # a test settings module's key signs nothing outside the test run
        if development_only(self.ctx):
            return  # `runserver` on a laptop or a test run signs with it; the served settings read their own
        if not isinstance(value, ast.Constant) and _refused_when_missing(self.ctx.src.tree, value):
            return  # `if not DEBUG and "SECRET_KEY" not in os.environ: raise ...`: the fallback never serves
        self.report(
            stmt,
            f"SECRET_KEY {how} ({mask(literal)}): anyone with the source can forge sessions and tokens.",
            fix='Read it from the environment with no default: SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]; '
            "then rotate the exposed key.",
            secret=literal,
        )

    @classmethod
    def autofix(cls, text: str, findings: list[Finding]) -> str | None:
        """Replace each flagged value with `os.environ["DJANGO_SECRET_KEY"]` (or with the variable the code
        already reads), adding `import os`."""
        from ..autofix import replace_with_env_lookup  # libcst is imported only when fixing

        lines = {f.start_line for f in findings if f.rule_id == cls.code}
        return replace_with_env_lookup(text, lines, _NAMES, 'os.environ["DJANGO_SECRET_KEY"]')


def _refused_when_missing(tree: ast.AST | None, value: ast.expr) -> bool:
    """The settings module raises at import when the variable is missing (outside DEBUG, or always): a top-level
    `if` whose test names the variable (or SECRET_KEY itself) and whose body raises."""
    variable = value.args[0].value if isinstance(value, ast.Call) and value.args and isinstance(
        value.args[0], ast.Constant) else None
    if not isinstance(tree, ast.Module) or not isinstance(variable, str):
        return False
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and any(isinstance(s, ast.Raise) for s in stmt.body) and any(
                isinstance(n, ast.Constant) and n.value == variable or isinstance(n, ast.Name) and n.id in _NAMES
                for n in ast.walk(stmt.test)):
            return True
    return False


def _is_secret_key_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return target.id in _NAMES
    if isinstance(target, ast.Attribute):  # settings.SECRET_KEY = "..."
        return target.attr in _NAMES
    return False
