from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

# Calls that draw a random secret: the function is a code or password generator.
_RANDOM = frozenset({"choice", "choices", "randbelow", "randint", "token_hex", "token_urlsafe", "token_bytes",
                     "get_random_string", "make_random_password", "randrange", "SystemRandom"})
_RANDOM_MODULES = ("secrets", "random", "django.utils.crypto", "django.contrib.auth")


class FixedOneTimeCode(Check):
    """## What it does
    Flags a function that generates one-time codes or passwords at random (`secrets.choice`,
    `get_random_string`, `random.randint`…) but returns a fixed string on some path, typically
    when a setting such as `USE_SMS` is off: `if not settings.USE_SMS: return "45612"`.

    ## Why is this bad?
    It is an authentication bypass: the fixed code is in the repository for everyone to read. The day the flag is off in a real
    deployment (a misconfigured environment, an SMS outage workaround), every patient's login or
    verification code is the same, and anyone can pass the check for any phone number.

    ## Example
    ```python
    def rand_pass(size):
        if not settings.USE_SMS:
            return "45612"
        return "".join(secrets.choice(string.digits) for _ in range(size))
    ```

    Use instead:
    ```python
    def rand_pass(size):
        return "".join(secrets.choice(string.digits) for _ in range(size))
    # and in development, read the code from the console SMS backend instead of fixing it
    ```
    """

    code = "WG308"
    name = "fixed-one-time-code"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 798
    summary = "Generator of one-time codes or passwords returns a fixed value on some path"
    hipaa = "§164.312(d) person or entity authentication"

    VALID = [
        Valid("import secrets\nimport string\n\ndef rand_pass(size):\n"
              "    return ''.join(secrets.choice(string.digits) for _ in range(size))\n"),
        # An empty or error result is not a usable code.
        Valid("import secrets\n\ndef code(n):\n    if n <= 0:\n        return ''\n    return secrets.token_hex(n)\n"),
        # A constant with no random generation is someone else's business (WG105 judges literal passwords).
        Valid("def label():\n    return '45612'\n"),
    ]
    INVALID = [
        Invalid("import secrets\nimport string\nfrom django.conf import settings\n\ndef rand_pass(size):\n"
                "    if not settings.USE_SMS:\n        return '45612'\n"
                "    return ''.join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(size))\n",
                line=7),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._draws_random(node):
            return
        for n in walk(node):
            if (isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                    and len(n.value.value) >= 4 and n.value.value.isalnum()):
                self.report(n, f"{node.name}() generates codes at random but returns the fixed code "
                            f"{mask(n.value.value)} on this path: whenever it is taken, every user gets the same "
                            "code, and it is in the source.",
                            fix="Always generate the code; for development, read it from a console or test "
                            "messaging backend instead of fixing it.", secret=n.value.value)
                return

    visit_AsyncFunctionDef = visit_FunctionDef

    def _draws_random(self, fn: ast.AST) -> bool:
        for n in walk(fn):
            if isinstance(n, ast.Call):
                q = self.qualname(n.func) or ""
                if last_part(q) in _RANDOM and (q.startswith(_RANDOM_MODULES) or "." not in q):
                    return True
        return False
