"""Whether anyone can create an account: django-allauth's sign-up, also through django-rest-auth's and
dj-rest-auth's registration URLs (open unless `ACCOUNT_ADAPTER`'s `is_open_for_signup()` says otherwise, read
through the setting it returns) and django-registration's (open unless `REGISTRATION_OPEN` is False). Where anyone
can sign up, a login is no barrier (WG301, WG304)."""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, NamedTuple

from ..names import dotted, last_part

if TYPE_CHECKING:
    from .django_code import ProjectCode


# Sign-up URLconfs that create accounts through django-allauth's adapter.
_ALLAUTH = ("allauth.", "rest_auth.registration.", "dj_rest_auth.registration.")


class SignUp(NamedTuple):
    """Whether anyone can create an account (None: decided at run time, or unread), why, and where."""

    open: bool | None
    why: str
    path: str
    line: int


def signup_answer(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool | str, bool | None]:
    """What an adapter's `is_open_for_signup()` returns: `return False`, or a setting
    (`return getattr(settings, "ACCOUNT_ALLOW_REGISTRATION", True)`, `return settings.SIGNUP_OPEN`)."""
    if len(fn.body) == 1 or (len(fn.body) == 2 and isinstance(fn.body[0], ast.Expr)):  # one return, maybe a docstring
        ret = fn.body[-1]
        value = ret.value if isinstance(ret, ast.Return) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            return value.value, None
        if isinstance(value, ast.Attribute) and dotted(value.value) == "settings":
            return value.attr, None
        if (isinstance(value, ast.Call) and dotted(value.func) == "getattr" and len(value.args) >= 2
                and dotted(value.args[0]) == "settings" and isinstance(value.args[1], ast.Constant)
                and isinstance(value.args[1].value, str)):
            default = value.args[2] if len(value.args) > 2 else None
            return value.args[1].value, default.value if isinstance(default, ast.Constant) and isinstance(
                default.value, bool) else None
    return "?", None


def open_sign_up(code: ProjectCode) -> SignUp:
    """Can anyone create an account? django-allauth's sign-up is open unless ACCOUNT_ADAPTER's
    `is_open_for_signup()` says otherwise; django-registration's unless REGISTRATION_OPEN is False. Where
    it is decided: the setting that decides it, or the include of the sign-up URLconf."""
    allauth = next(((p, t, line) for p, t, line in code.sign_up if t.startswith(_ALLAUTH)), None)
    if allauth is not None:
        path, target, line = allauth
        where = f"{target} included at {path}:{line}"
        adapters = code.string_settings.get("ACCOUNT_ADAPTER", [])
        if not adapters:
            return SignUp(True, f"{where}, allauth's default adapter open to anyone", path, line)
        info = next((i for a in code.ancestors(adapters[0]) for i in [code.lookup(a)]
                     if i is not None and i.signup is not None), None)
        if info is None or info.signup is None:  # allauth's own answer, unless an unread base gives another
            unread = [a for a in code.ancestors(adapters[0]) if code.lookup(a) is None and not a.startswith("allauth.")]
            if unread or code.lookup(adapters[0]) is None:
                return SignUp(None, f"ACCOUNT_ADAPTER {adapters[0]} was not read", path, line)
            return SignUp(True, f"{where}, ACCOUNT_ADAPTER {last_part(adapters[0])} keeps allauth's open sign-up",
                          path, line)
        answer, default = info.signup
        adapter = f"{last_part(info.qualname)}.is_open_for_signup()"
        if isinstance(answer, bool):
            return SignUp(answer, f"{where}, {adapter} returns {answer}", info.path, info.line)
        if answer == "?":
            return SignUp(None, f"{adapter} decides at run time", info.path, info.line)
        flag = code.flag_settings.get(answer)
        if flag is None:
            return SignUp(default, f"{where}, {adapter} returns {answer}, unset (default {default})", path, line)
        return SignUp(flag[0], f"{where}, {adapter} returns {answer} = {flag[0]} ({flag[1]}:{flag[2]})",
                      flag[1], flag[2])
    if code.sign_up:
        path, target, line = code.sign_up[0]
        setting = code.registration_open
        if setting is None:
            return SignUp(True, f"{target} routed and REGISTRATION_OPEN left at its default (True)", path, line)
        return SignUp(setting[0], f"REGISTRATION_OPEN = {setting[0]} with {target} routed", setting[1], setting[2])
    return SignUp(False, "", "", 0)
