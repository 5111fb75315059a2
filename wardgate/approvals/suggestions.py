"""Test suggestions (seeds/000 §22.2): for a change that touches permissions, audit or dosing, the
behaviour a test should pin down, derived from the changed code rather than generic advice —
"a user without `clinic.change_prescription` gets 403 on `prescription_update`"."""
from __future__ import annotations

import ast
import re

from checks.walk import walk
from reports.sections import TestSuggestion

from .changes import parse
from .triggers import Context, Trigger, functions


def _suggestion(area: str, path: str, line: int, symbol: str, behaviour: str) -> TestSuggestion:
    return TestSuggestion(area=area, path=path, line=line, symbol=symbol, behaviour=behaviour)


def suggest(triggers: list[Trigger], ctx: Context | None) -> list[TestSuggestion]:
    """area: permission | audit | dosing | deletion."""
    out: list[TestSuggestion] = []
    for t in triggers:
        line = t.lines[0] if t.lines else 1
        if t.kind == "permission":
            for text in _perm_behaviours(t, ctx):
                out.append(_suggestion("permission", t.path, line, t.symbol or "", text))
        elif t.kind == "audit":
            audit = _audit_behaviour(t)
            if audit:
                out.append(_suggestion("audit", t.path, line, t.symbol or "", audit))
        elif t.kind == "dose":
            for text in _dose_behaviours(t, ctx):
                out.append(_suggestion("dosing", t.path, line, t.symbol or "", text))
        elif t.kind == "patient-delete":
            out.append(_suggestion("deletion", t.path, line, t.symbol or "", _delete_behaviour(t)))
    seen: set[tuple[str, str]] = set()
    unique = []
    for s in out:
        if (s.symbol, s.behaviour) not in seen:
            seen.add((s.symbol, s.behaviour))
            unique.append(s)
    return unique


def _target(symbol: str) -> str:
    parts = symbol.split(".")
    # a method's view is its class: `PatientViewSet.destroy` -> `PatientViewSet`
    return parts[-2] if len(parts) > 1 and parts[-1] in ("dispatch", "get", "post", "put", "patch", "delete") \
        else symbol


def _call_args(text: str) -> tuple[str, list[str], dict[str, str]]:
    try:
        node = ast.parse(text.lstrip("@"), mode="eval").body
    except SyntaxError:
        return text, [], {}
    if not isinstance(node, ast.Call):
        return ast.unparse(node), [], {}
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else ast.unparse(a) for a in node.args]
    kwargs = {k.arg or "**": ast.unparse(k.value) for k in node.keywords}
    return ast.unparse(node.func), args, kwargs


def _perm_behaviours(t: Trigger, ctx: Context | None) -> list[str]:
    sym = t.symbol or ""
    view = _target(sym)
    out: list[str] = []
    if sym.startswith("settings"):
        return [("an unauthenticated request to an API view that sets no `permission_classes` of its own gets "
                "401/403 under the new `DEFAULT_PERMISSION_CLASSES`")]
    for text in t.data.get("added", []):
        out.extend(_decorator_behaviour(text, view, added=True))
    for text in t.data.get("removed", []):
        if text.startswith(("@", "base ", "permission_classes", "permission_required")):
            out.append(f"`{_clean(text)}` was removed from `{view}`: pin down who may still call it — an anonymous "
                       f"request and a user without the old permission must still be refused (401/403/302), or, if "
                       f"it is now meant to be open, that it returns no patient data")
    if not out and any(m in sym.split(".")[-1] for m in ("has_permission", "has_object_permission")):
        cls = sym.split(".")[0]
        users = _views_using(cls, ctx)
        on = f" on {', '.join(f'`{v}`' for v in users[:3])}" if users else ""
        out.append(f"a user for whom `{sym}` is False gets 403{on}, and one for whom it is True gets through")
    if not out and "Module(" not in sym:
        out.append(f"the authorization of `{view}` after this change: who gets 403 and who gets through")
    return out


def _clean(text: str) -> str:
    return text.removeprefix("base ")


def _decorator_behaviour(text: str, view: str, *, added: bool) -> list[str]:
    if text.startswith("base "):
        base = text[5:]
        if "LoginRequired" in base:
            return [f"an anonymous request to `{view}` is redirected to the login page (302)"]
        return [f"a user who fails `{base}` gets 403 on `{view}`"]
    if text.startswith("@"):
        func, args, kwargs = _call_args(text)
        last = func.rsplit(".", 1)[-1]
        if last == "permission_required" and args:
            perms = " and ".join(f"`{a}`" for a in args[:1]) if not args[0].startswith("[") else f"`{args[0]}`"
            if kwargs.get("raise_exception") == "True":
                return [f"a user without {perms} gets 403 on `{view}`"]
            return [(f"a logged-in user without {perms} is refused by `{view}` (redirect to login, 302; pass "
                    f"`raise_exception=True` for a 403)")]
        if last in ("login_required", "staff_member_required"):
            who = "a non-staff user" if last.startswith("staff") else "an anonymous request"
            return [f"{who} to `{view}` is redirected to the login page (302) and never reaches the view"]
        if last == "user_passes_test" and args:
            return [f"a user for whom `{args[0]}` is False does not reach `{view}` (redirected to login)"]
        if last == "permission_classes" and args:
            return [f"a request failing {args[0]} gets 403 on `{view}`"]
        return [f"a request that does not satisfy `{text}` is refused by `{view}` (403)"]
    m = re.match(r"(permission_classes|permission_required)\s*(?::[^=]*)?=\s*(.+)", text)
    if m:
        if m.group(1) == "permission_required":
            return [f"a user without {m.group(2)} gets 403 on `{view}`"]
        classes = [c.strip() for c in m.group(2).strip("[]() ").split(",") if c.strip()]
        out = []
        if any("IsAuthenticated" in c for c in classes):
            out.append(f"an unauthenticated request to `{view}` gets 401/403")
        for c in classes:
            if "IsAuthenticated" not in c and c not in ("AllowAny",):
                out.append(f"an authenticated user who fails `{c}` gets 403 on `{view}`")
        if any("AllowAny" in c for c in classes):
            out.append(f"`{view}` is now open to anonymous requests (AllowAny): pin down that it returns no "
                       f"patient data")
        return out
    return []


def _views_using(cls: str, ctx: Context | None) -> list[str]:
    if ctx is None or ctx.code is None:
        return []
    return sorted(c.qualname.rsplit(".", 1)[-1] for c in ctx.code.classes.values()
                  if c.perm_classes and any(p.rsplit(".", 1)[-1] == cls for p in c.perm_classes))


def _audit_behaviour(t: Trigger) -> str | None:
    added, removed = t.data.get("added"), t.data.get("removed")
    text = added or removed or ""
    m = re.search(r"register\((\w+)", text)
    model = m.group(1) if m else None
    if "HistoricalRecords" in text:
        m2 = re.search(r"^(\w+)", t.symbol or "")
        model = model or (m2.group(1) if m2 else None)
    if added and model:
        return f"saving a `{model}` records an audit entry (an edit of one field is visible in its history)"
    if removed and model:
        return (f"`{_clip(removed)}` was removed: pin down whether a change to a `{model}` is still recorded in "
                f"the audit trail")
    if t.why.startswith("history model"):
        return f"the history model `{t.symbol}` still receives one row per change of the tracked model"
    return None


def _clip(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _dose_behaviours(t: Trigger, ctx: Context | None) -> list[str]:
    fc = ctx.changes.files.get(t.path) if ctx is not None else None
    tree = parse(fc.new_text if fc else None)
    fn = next((f for f, _c, q in functions(tree) if q == t.symbol), None) if tree else None
    if fn is None:
        return []
    name = t.symbol or fn.name
    params = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    caps = sorted({n.id for n in walk(fn) if isinstance(n, ast.Name) and re.search(r"max|limit|cap|ceiling",
                                                                                        n.id, re.IGNORECASE)} |
                  {n.attr for n in walk(fn) if isinstance(n, ast.Attribute) and re.search(r"max|limit", n.attr,
                                                                                               re.IGNORECASE)})
    uses_min = any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "min" for n in walk(fn))
    out = []
    if caps or uses_min:
        cap = f"`{caps[0]}`" if caps else "its cap"
        out.append(f"`{name}` never returns more than {cap}, also for the heaviest/oldest plausible patient")
    else:
        out.append(f"`{name}` has no maximum in code: pin down its result at the largest plausible "
                   f"{' and '.join(p for p in params if re.search('weight|age|kg', p)) or 'input'} and decide "
                   f"whether it must be capped")
    for p in params:
        if re.search(r"weight|kg|age|bsa", p, re.IGNORECASE):
            out.append(f"`{name}` rejects `{p}` of 0 or below (raises, not a zero or negative dose)")
    return out


def _delete_behaviour(t: Trigger) -> str:
    model, call = t.data.get("model", "records"), t.data.get("call", "")
    m = re.search(r"filter\((.*)\)\.delete", call)
    scope = f" matching `{m.group(1)}`" if m else ""
    audited = t.data.get("audited")
    trail = f", and each deletion leaves an entry in the audit trail ({audited})" if audited else \
        f"; `{model}` is not audited, so the test is the only record of what may be deleted"
    who = "only a user allowed to delete patient records can trigger it"
    if t.data.get("bulk"):
        return f"`{t.symbol}` deletes only the `{model}` rows{scope} and leaves the others{trail}; {who}"
    return f"`{t.symbol}` deletes exactly the one `{model}` it was given{trail}; {who}"

