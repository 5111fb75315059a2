"""Shared helpers for the secret rules: placeholders and literal fallbacks of env lookups."""
from __future__ import annotations

import ast
import re

from .names import ImportMap

_PLACEHOLDER = re.compile(
    r"""^(
        |changeme|change[-_ ]?me.*|replace[-_ ]?me.*|todo|tbd|xxx+|\*+|\.\.\.|none|null|secret|password|
        dummy|example|sample|placeholder|your[-_ ].*|insert[-_ ].*|fill[-_ ]?me.*|
        <[^>]*>|\{[^}]*\}|\$\{[^}]*\}|%\([^)]*\)s|test|testing|dev|development|fake|not[-_ ]?set|unset
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

_ENV_GETTERS = (
    "os.environ.get",
    "os.getenv",
    "os.environ.setdefault",
    "decouple.config",
)


def is_placeholder(value: str) -> bool:
    v = value.strip()
    return len(v) < 6 or _PLACEHOLDER.match(v) is not None


def literal_fallback(value: ast.expr, imports: ImportMap) -> str | None:
    """The literal default of an environment lookup, e.g. `os.environ.get("X", "lit")` -> "lit".

    Recognises os.environ.get / os.getenv / python-decouple `config` / django-environ
    (`env("X", default=...)`, `env.str("X", default=...)`, where `env = environ.Env()`).
    """
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):  # os.environ.get("X") or "lit"
        last = value.values[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            return last.value
        return None
    if not isinstance(value, ast.Call):
        return None
    name = imports.qualname(value.func) or ""
    if not (_is_env_getter(name) or _is_django_environ(value.func, imports)):
        return None
    default: ast.expr | None = None
    for kw in value.keywords:
        if kw.arg == "default":
            default = kw.value
    if default is None and len(value.args) >= 2:
        default = value.args[1]
    if isinstance(default, ast.Constant) and isinstance(default.value, str):
        return default.value
    return None


def _is_env_getter(name: str) -> bool:
    return any(name == g or name.endswith("." + g) for g in _ENV_GETTERS)


def _is_django_environ(func: ast.expr, imports: ImportMap) -> bool:
    # env("X", default=...) or env.str("X", default=...) where env is an environ.Env instance;
    # the instance's name is conventional, so accept `env`/`environ` receivers and environ.Env().
    target = func.value if isinstance(func, ast.Attribute) else func
    if isinstance(target, ast.Call):
        return (imports.qualname(target.func) or "").endswith("environ.Env")
    return isinstance(target, ast.Name) and target.id in {"env", "environ_env", "ENV"}
