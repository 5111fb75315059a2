"""Settings the project verifies incoming requests with: the key of an HMAC (`hmac.new(key, body, sha256)`), of a
JWT it decodes (`jwt.decode(token, key)`), or a shared token compared with what the request sent.

A literal fallback of such a setting is a working key: when the environment variable is missing, anyone who can read
the source signs requests the service accepts (WG106). Per file, per function: names bound from `settings.X`
(through `bytes(key, "utf-8")`, `key.encode()`) that reach a verifying call. Tests and migrations verify nothing.
"""
from __future__ import annotations

import ast

from ..names import ImportMap, dotted, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "verifying_keys"
# (module, function) -> the positional index of the key, or None when any argument may be it.
_KEYED = {("hmac", "new"): 0, ("hmac", "HMAC"): 0, ("hmac", "digest"): 0, ("jwt", "decode"): 1,
          ("hmac", "compare_digest"): None, ("secrets", "compare_digest"): None}
_REQUEST_PARTS = ("request.headers", "request.META", "request.GET", "request.POST", "request.data",
                  "self.request.headers", "self.request.META", "self.request.GET", "self.request.POST")

Site = tuple[str, int, str]  # (path, line, how)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> dict[str, Site] | None:
    if src.looks_like_test or src.looks_like_migration or src.tree is None or "settings." not in src.text:
        return None
    if not any(w in src.text for w in ("hmac", "jwt", "compare_digest", "request.")):
        return None
    out: dict[str, Site] = {}
    for fn in (n for n in src.nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        keys = _settings_names(fn)
        if not keys:
            continue
        for n in walk(fn):
            for setting, how in _verifies(n, keys, imports):
                out.setdefault(setting, (src.path, getattr(n, "lineno", fn.lineno), how))
    return out or None


def merge(per_file: dict[str, dict[str, Site]], vocab: Vocabulary) -> dict[str, Site]:
    out: dict[str, Site] = {}
    for path in sorted(per_file):
        for name, site in per_file[path].items():
            out.setdefault(name, site)
    return out


def _setting(node: ast.AST) -> str | None:
    d = dotted(node) if isinstance(node, ast.Attribute) else None
    return d.split(".", 1)[1] if d and d.startswith("settings.") and d.count(".") == 1 else None


def _settings_names(fn: ast.AST) -> dict[str, str]:
    """Local names -> the setting they hold (`key = settings.PIPE_KEY`, `raw = bytes(key, "utf-8")`), and each
    setting read in the function as itself."""
    out = {f"settings.{s}": s for n in walk(fn) if (s := _setting(n))}
    if not out:
        return out
    binds = [(t.id, n.value) for n in walk(fn) if isinstance(n, ast.Assign) for t in n.targets
             if isinstance(t, ast.Name)]
    for _ in range(3):
        for target, value in binds:
            if target in out:
                continue
            held = _held(value, out)
            if held is not None:
                out[target] = held
    return out


def _held(value: ast.AST, names: dict[str, str]) -> str | None:
    """The setting `value` passes on unchanged but for its encoding: the setting itself, a name holding it,
    `bytes(x, ...)`, `x.encode()`, `str(x)`."""
    while isinstance(value, ast.Call):
        if isinstance(value.func, ast.Name) and value.func.id in ("bytes", "str", "bytearray") and value.args:
            value = value.args[0]
        elif isinstance(value.func, ast.Attribute) and value.func.attr == "encode":
            value = value.func.value
        else:
            return None
    s = _setting(value)
    if s is not None:
        return s
    return names.get(value.id) if isinstance(value, ast.Name) else None


def _verifies(n: ast.AST, keys: dict[str, str], imports: ImportMap) -> list[tuple[str, str]]:
    if isinstance(n, ast.Call):
        module, _, function = (imports.qualname(n.func) or dotted(n.func) or "").rpartition(".")
        key = (last_part(module), function)
        if key not in _KEYED:
            return []
        spot = _KEYED[key]
        how = "an HMAC key" if key[0] == "hmac" and function != "compare_digest" else \
            "a JWT key" if function == "decode" else "a token compared with the request's"
        args = n.args if spot is None else n.args[spot:spot + 1]
        args = [*args, *(k.value for k in n.keywords if k.arg in ("key", "secret"))]
        return [(s, how) for a in args if (s := _held(a, keys)) is not None]
    if isinstance(n, ast.Compare) and len(n.comparators) == 1 and isinstance(n.ops[0], (ast.Eq, ast.NotEq)):
        sides = [n.left, n.comparators[0]]
        held = [s for side in sides if (s := _held(side, keys)) is not None]
        sent = any((dotted(x) or "").startswith(_REQUEST_PARTS) for side in sides for x in walk(side)
                   if isinstance(x, ast.Attribute))
        return [(held[0], "a token compared with the request's")] if held and sent else []
    return []


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
