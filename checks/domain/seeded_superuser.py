from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..names import last_part

# Keywords that make an account privileged.
_PRIVILEGES = ("is_superuser", "is_staff")


class SeededSuperuser(Check):
    """## What it does
    Flags a data migration that creates an administrator account with a password written in the source: a
    `create_superuser(...)` call with a literal password, or an account built with `is_superuser=True` (or
    `is_staff=True`) and `password=` set to a literal, to `make_password("...")`, or to a password hash copied
    from a database (`"pbkdf2_sha256$..."`). An unusable password (`"!"`, `set_unusable_password()`) or one read
    from the environment passes.

    ## Why is this bad?
    `migrate` runs on every deployment, so every hospital that installs the application gets the same
    administrator with the same password. Anyone with the repository signs in with it, or cracks the committed
    hash offline (a hash of a short password falls in seconds), and reads or changes every patient's records.
    HIPAA §164.312(d) person or entity authentication; §164.308(a)(5)(ii)(D) password management.

    ## Example
    ```python
    def initial_data(apps, schema_editor):
        User = apps.get_model("users", "User")
        User(email="root@localhost", is_superuser=True,
             password="pbkdf2_sha256$10000$SYAewjA5ItEy$bUR0XufI...").save()
    ```

    Use instead:
    ```python
    # no account in the migration; after deploying:
    #   python manage.py createsuperuser
    ```
    """

    code = "WG108"
    name = "seeded-superuser"
    category = Category.SECRET
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 798
    summary = "Data migration creates an administrator account with a password written in the source"
    hipaa = "§164.312(d) person or entity authentication; §164.308(a)(5)(ii)(D) password management"

    VALID = (
        # The password comes from the environment; the second account cannot sign in with a password at all.
        Valid("""\
            import os

            def forwards(apps, schema_editor):
                User = apps.get_model("users", "User")
                User.objects.create_superuser("admin", "admin@example.org", os.environ["ADMIN_PASSWORD"])
                User(username="system", is_superuser=True, password="!").save()
            """, path="users/migrations/0002_admin.py"),
        # An ordinary account; and outside a migration this rule says nothing (WG105 judges literal passwords).
        Valid("""\
            def forwards(apps, schema_editor):
                User = apps.get_model("users", "User")
                User.objects.create(username="kiosk", password="pbkdf2_sha256$600000$abc$def=")
            """, path="users/migrations/0003_kiosk.py"),
        Valid("""\
            def seed(User):
                User.objects.create_superuser("admin", "admin@example.org", "admin")
            """, path="users/seed.py"),
    )
    INVALID = (
        Invalid("""\
            def initial_data(apps, schema_editor):
                User = apps.get_model("users", "User")
                u = User(is_superuser=True, email="root@localhost",
                         password="pbkdf2_sha256$10000$SYAewjA5ItEy$bUR0XufI4h0YuLHu9ltf9ZPIYJG63sKDxhxT01K4dnA=")
                u.save()
            """, line=3, path="users/migrations/0002_initial_data.py"),
        Invalid("""\
            def forwards(apps, schema_editor):
                User = apps.get_model("auth", "User")
                User.objects.create_superuser("admin", "admin@example.org", "Hosp1tal!")
            """, line=3, path="accounts/migrations/0004_admin.py"),
        Invalid("""\
            from django.contrib.auth.hashers import make_password

            def forwards(apps, schema_editor):
                User = apps.get_model("auth", "User")
                User.objects.create(username="ops", is_staff=True, password=make_password("ops-2024"))
            """, line=5, path="accounts/migrations/0005_ops.py"),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if not self.ctx.src.looks_like_migration:
            return
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if last_part(self.qualname(node.func) or "") == "create_superuser" or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "create_superuser"):
            value = keywords.get("password", node.args[2] if len(node.args) >= 3 else None)
            account = "a superuser"
        elif any(_true(keywords.get(p)) for p in _PRIVILEGES) and "password" in keywords:
            value = keywords["password"]
            account = "a superuser" if _true(keywords.get("is_superuser")) else "a staff account"
        else:
            return
        password = _written_password(value)
        if password is None:
            return
        who = next((v.value for k in ("email", "username") if isinstance(v := keywords.get(k), ast.Constant)
                    and isinstance(v.value, str)), None)
        kind = "a password hash" if "$" in password else "a password"
        self.report(node, f"Data migration creates {account}{f' ({who})' if who else ''} with {kind} written in the "
                    f"source ({mask(password)}): every deployment that runs migrate gets this account, and whoever "
                    "reads the repository signs in with it or cracks the hash offline.",
                    fix="Create administrator accounts after deploying (`manage.py createsuperuser`), or read the "
                    "password from the environment; rotate the password of accounts made this way.")


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _written_password(node: ast.expr | None) -> str | None:
    """The literal password (or hash) a value spells: `"x"`, or `make_password("x")`; an unusable one is None."""
    if isinstance(node, ast.Call) and last_part(ast.unparse(node.func)) == "make_password" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value and not node.value.startswith("!"):
        return node.value
    return None
