"""Schema-only Django migrations: files bandit cannot report anything on, so it is not run on them.

Half of bandit's time on a typical project goes to migrations that `makemigrations` wrote: a
`Migration` class whose `dependencies` and `operations` are lists of `migrations.*(...)` calls with
literal arguments. bandit's tests look at calls of named functions (`subprocess.*`, `pickle.*`,
`mark_safe`, `.extra()`...), imports of named modules, `shell=` and password-like arguments, string
literals in particular places (SQL built by `+`/`%`/`format`/f-strings, `0.0.0.0`, temporary
directories, password-like names, dict keys and comparisons), asserts, `try`/`except`, function
definitions and bidirectional-text characters. A file is schema-only when it has none of these by
construction: only the node kinds a generated migration uses (no functions, lambdas, operators,
comparisons, subscripts, f-strings, `try`, `assert`), imports of Django, the project's own packages,
`uuid`/`datetime`/`decimal` and well-known model-field packages only (none of them is a module any
bandit test names), calls only through those imports, and none of the names or
literals above. Anything else (a `RunPython` and its function, SQL built from parts, an unknown
package, a hand edit) keeps the file in bandit's list. wardgate's own checks (secrets included) still read every file.
"""
from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..source import MIGRATION_PATH

_ALLOWED_NODES = (
    ast.Module, ast.Expr, ast.Import, ast.ImportFrom, ast.alias, ast.ClassDef, ast.Assign, ast.Name, ast.Load,
    ast.Store, ast.Attribute, ast.Call, ast.keyword, ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.UnaryOp, ast.USub, ast.UAdd,
)
# Modules outside Django and the project whose names a generated migration may use.
_KNOWN_MODULES = frozenset({
    "uuid", "datetime", "decimal",
    "simple_history", "django_extensions", "phonenumber_field", "model_utils", "mptt", "taggit", "django_countries",
    "multiselectfield", "encrypted_model_fields", "fernet_fields", "partial_index", "djmoney", "timezone_field",
    "localflavor", "ckeditor", "ckeditor_uploader", "tinymce", "versatileimagefield", "imagekit", "sortedm2m",
    "treebeard", "auditlog", "reversion", "pghistory", "pgtrigger", "polymorphic", "parler", "django_cryptography",
    "django_jsonfield_backport", "jsonfield", "colorfield", "django_better_admin_arrayfield",
})
# bandit's password-like names (plugins/general_hardcoded_password.py, RE_CANDIDATES), matched loosely.
_PASSWORD_LIKE = re.compile(r"pas+wo?r?d|pass(phrase)?|pwd|token|secrete?", re.IGNORECASE)
# Calls some bandit test reports whichever module they come from (B308/B703, B610, B611, B608, B604).
_REPORTED_CALLS = frozenset({"mark_safe", "SafeString", "SafeText", "SafeBytes", "RawSQL", "extra", "format",
                             "format_html", "replace", "execute", "executemany", "exec", "eval", "compile"})
_SUSPECT_LITERALS = ("0.0.0.0", "/tmp", "/var/tmp", "/dev/shm")  # B104, B108
# Bidirectional control characters (B613, trojansource).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def first_party(root: Path) -> frozenset[str]:
    """Top-level names the project itself defines (in the root or a `src/` folder), minus stdlib names."""
    names: set[str] = set()
    for folder in (root, root / "src"):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        names.update(p.stem if p.suffix == ".py" else p.name for p in entries
                     if (p.is_dir() or p.suffix == ".py") and p.stem.isidentifier())
    return frozenset(names - set(sys.stdlib_module_names))


def bandit_files(root: Path, files: Sequence[str]) -> list[str]:
    """`files` without the schema-only migrations."""
    own = first_party(root)
    return [f for f in files if not (MIGRATION_PATH.search(f) and _schema_only(root / f, own))]


def _schema_only(path: Path, own: frozenset[str]) -> bool:
    try:
        text = path.read_bytes().decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return False  # bandit reports what it can on files it reads its own way
    return not _BIDI.search(text) and is_schema_only(tree, own)


def is_schema_only(tree: ast.Module, own: frozenset[str]) -> bool:
    """True when `tree` is a migration bandit has nothing to report on (see the module docstring)."""
    imported: dict[str, str] = {}  # local name -> top-level module
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            if isinstance(stmt, ast.ImportFrom) and (stmt.level or stmt.module is None):
                return False
            for alias in stmt.names:
                module = stmt.module if isinstance(stmt, ast.ImportFrom) else alias.name
                top = (module or "").split(".")[0]
                if alias.name == "*" or not (top == "django" or top in own or top in _KNOWN_MODULES):
                    return False
                imported[(alias.asname or alias.name).split(".")[0]] = top
        elif isinstance(stmt, ast.ClassDef):
            if stmt.name != "Migration" or stmt.decorator_list or stmt.keywords or not all(
                    isinstance(s, ast.Assign) or _docstring(s) for s in stmt.body):
                return False
        elif not _docstring(stmt):
            return False
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or not _harmless(node, imported):
            return False
    return True


def _harmless(node: ast.AST, imported: dict[str, str]) -> bool:
    if isinstance(node, ast.Constant):
        return not (isinstance(node.value, str) and node.value.startswith(_SUSPECT_LITERALS))
    if isinstance(node, ast.Assign):
        return all(isinstance(t, ast.Name) and not _PASSWORD_LIKE.search(t.id) for t in node.targets)
    if isinstance(node, ast.keyword):
        return node.arg is not None and node.arg != "shell" and not _PASSWORD_LIKE.search(node.arg)
    if isinstance(node, ast.Dict):
        return not any(isinstance(k, ast.Constant) and isinstance(k.value, str) and _PASSWORD_LIKE.search(k.value)
                       or k is None for k in node.keys) and not any(
            isinstance(v, ast.Constant) and isinstance(v.value, str) and _PASSWORD_LIKE.search(v.value)
            for v in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        while isinstance(func, ast.Attribute):
            func = func.value
        last = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return isinstance(func, ast.Name) and func.id in imported and last not in _REPORTED_CALLS
    return True


def _docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
