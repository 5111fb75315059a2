"""What wardgate believes about a project, for `wardgate facts`: patient-data models and why, the
audit mechanism of each, every endpoint with its effective access, every write to patient data and whether
the audit trail sees it (or why it is not audit-relevant), and what could not be resolved.

A team reads it in a minute and corrects it in `[tool.wardgate.domain]` (patient_models,
not_patient_models, audit_base_classes, permission_mixins, login_required_middleware...). It is also
how a user understands a surprising finding: each fact carries its evidence.
"""
from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..engine import run_checks
from ..names import ImportMap, last_part
from ..source import DEFAULT_MAX_FILE_SIZE, SourceFile, load_source
from ..vocabulary import Vocabulary
from . import COLLECTORS
from .django_code import ProjectCode
from .django_models import ModelIndex
from .environment import site_packages
from .guards import AUTHZ, LEVEL_NAMES, decides_by_user
from .raw_sql import NAME as RAW_SQL
from .raw_sql import RawSqlIndex
from .settings_modules import NAME as SETTINGS
from .settings_modules import SettingsModules
from .unknowns import middleware_site, unread_api_resources
from .views import Analyzer, View
from .write_paths import Write, inventory, request_audit_middleware

UNKNOWN = "unknown"


def describe(root: Path, files: Sequence[str], vocab: Vocabulary, *, jobs: int | None = None,
             max_size: int = DEFAULT_MAX_FILE_SIZE, python: str | None = None) -> dict[str, Any]:
    """The project model as plain data (JSON-ready), built from every file in `files`."""
    sites = site_packages(root, python)
    engine = run_checks(root, files, vocab=vocab, checks=(), collectors=COLLECTORS, jobs=jobs, max_size=max_size,
                        environment=sites)
    models: ModelIndex | None = engine.project.fact("django_models")
    code: ProjectCode | None = engine.project.fact("django_code")
    out: dict[str, Any] = {"settings": {}, "patient_models": [], "endpoints": [], "unknown": [],
                           "not_analysed": sorted(p.path for p in engine.file_problems)}
    if models is None or code is None:
        return out
    login = code.login_middleware(vocab)
    unknown_gate = code.unknown_login_middleware(vocab)
    served: SettingsModules | None = engine.project.fact(SETTINGS)
    sign_up = code.open_sign_up()
    out["settings"] = {
        "environment": [str(p) for p in sites] or None,
        "login_middleware": login or (f"{UNKNOWN} ({unknown_gate} could not be read)" if unknown_gate else None),
        "drf_default_permission_classes": code.default_perms[0] if code.default_perms else None,
        "drf_default_authentication_classes": code.default_auth[0] if code.default_auth else None,
        "drf_default_filter_backends": code.default_filters[0] if code.default_filters else None,
        "audit_signal_receivers": models.audit_receivers,
        "explicit_audit_service": models.explicit_audit,
        "request_audit_decorators": {last_part(d): f"records requests in {last_part(m)}, wraps {n} functions"
                                     for d, (m, n) in sorted(models.audit_decorators.items())} or None,
        "request_audit_middleware": _audit_middleware(models, code),
        "global_audit": models.global_audit,
        "reversion_revision_middleware": models.revision_middleware,
        "open_sign_up": (f"{'yes' if sign_up.open else UNKNOWN}: {sign_up.why}" if sign_up.open is not False
                         else "no" + (f": {sign_up.why}" if sign_up.why else "")),
        "served_settings": sorted(served.production) or None if served is not None else None,
        "development_only_settings": sorted(m for m in served.debug_on if served.development_only(m))
        or None if served is not None else None,
    }
    for q in sorted(models.patient):
        m = models.models[q]
        audit = models.audited.get(q)
        entry = {"model": q, "path": m.path, "line": m.line, "why": models.patient_why.get(q, "patient data"),
                 "audit": audit or (UNKNOWN if q in models.unknown_audit else None)}
        if q in models.unknown_audit:
            entry["audit_unknown_because"] = f"base {models.unknown_audit[q]} could not be read"
            out["unknown"].append({"what": f"audit of {last_part(q)}", "path": m.path, "line": m.line,
                                   "why": entry["audit_unknown_because"]})
        out["patient_models"].append(entry)
    out["models_not_loaded"] = [{"model": q, "path": m.path, "line": m.line,
                                 "why": "nothing imports its module, and Django imports only the app's models package"}
                                for q, m in sorted(models.unloaded.items())]
    from .controlled_drugs import controlled_models  # WG405's notion of a controlled drug

    out["controlled_drugs"] = [{"model": q, "path": models.models[q].path, "line": models.models[q].line, "why": why}
                               for q, why in sorted(controlled_models(models, vocab).items())]
    for admin_cls, model in sorted(code.admin_models.items()):
        info = code.lookup(admin_cls)
        target = models.lookup(model)
        if info is None or target is None or target.qualname not in models.patient:
            continue
        actions = [f"{a.name} (permissions={a.permissions or 'admin default'})" for a in info.admin_actions]
        out["endpoints"].append({
            "view": admin_cls, "path": info.path, "line": info.line, "route": "/admin/ (Django admin)",
            "reads": "authorized users", "writes": "authorized users", "patient_data": [target.name],
            "rows_restricted_to_user": False,
            "evidence": ["Django admin: staff login and the model's view/change/add/delete permissions",
                         *(f"action {a}" for a in actions)],
        })
    raw: RawSqlIndex | None = engine.project.fact(RAW_SQL)
    writes: list[Write] = []
    for rel in engine.parsed:
        src = load_source(root, rel, max_size)
        if not isinstance(src, SourceFile) or src.tree is None:
            continue
        writes += inventory(src, models, code, raw, vocab, engine.project)
        if src.looks_like_test or src.looks_like_migration:
            continue
        out["endpoints"].extend(_endpoints(src, models, code, vocab, out["unknown"], engine.project.fact("flows")))
    out["write_paths"] = [{"model": w.model, "kind": w.kind, "path": w.path, "line": w.line, "function": w.function,
                           "audit_sees_it": w.seen, "quiet": w.seen is None, "why": w.why}
                          for w in sorted(writes, key=lambda w: (w.path, w.line, w.kind))]
    out["flows"] = _flows(engine.project.fact("flows"), models, vocab)
    if unknown_gate:
        path, line = middleware_site(engine.project)
        out["unknown"].append({"what": f"middleware {unknown_gate}", "path": path, "line": line,
                               "why": "from a package wardgate cannot read; views without their own login check are "
                               "not judged (declare it in [tool.wardgate.domain] login_required_middleware)"})
    for framework, resources in unread_api_resources(code).items():
        out["unknown"].extend({"what": f"access control of {framework} resource {name}", "path": path, "line": line,
                               "why": f"wardgate does not read {framework}'s authentication and authorization"}
                              for path, line, name in resources)
    for callee, path, line in code.unread_routes:
        out["unknown"].append({"what": f"URL routes made by {callee}()", "path": path, "line": line,
                               "why": "a library's URL factory wardgate cannot read; the views it serves are not judged"})
    for path, line, what in raw.unknowns() if raw is not None else []:
        out["unknown"].append({"what": "raw SQL", "path": path, "line": line,
                               "why": what.split(" (", 1)[1].rstrip(")")})
    return out


def _flows(index: Any, models: ModelIndex, vocab: Vocabulary) -> dict[str, Any]:
    """What the PHI flow analysis (checks/flows/) starts from, beyond the patient models' fields."""
    if index is None:
        return {}
    phi = vocab.phi_field_names()
    masks = []
    for ml in index.mask_lists:
        m = models.lookup(ml.model.rsplit(".", 1)[-1])
        if m is not None and m.qualname in models.patient:
            masks.append({"model": ml.model, "path": ml.path, "line": ml.line, "masked": list(ml.fields),
                          "unmasked_phi": sorted(f for f in m.fields if f in phi and f not in ml.fields)})
    return {
        "str_renders_phi": {q: list(f) for q, f in sorted(index.str_renders.items()) if q in models.patient},
        "identifiers_in_query_strings": [{"key": k, "path": p, "line": n} for p, n, k in index.query_params],
        "mask_lists": masks,
    }


def _endpoints(src: SourceFile, models: ModelIndex, code: ProjectCode, vocab: Vocabulary,
               unknown: list[dict[str, Any]], flows: Any = None) -> list[dict[str, Any]]:
    assert src.tree is not None
    imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
    an = Analyzer(src.tree, imports, models, code, vocab, flows)  # as the checks see it: service-layer writes too
    found = []
    for q, view in an.module_views(src.tree):
        name, line = q.removeprefix(f"{src.module}."), view.node.lineno
        if view.unknown:
            unknown.append({"what": f"access control of {name}", "path": src.path, "line": line,
                            "why": view.unknown})
        found.append({
            "view": q, "path": src.path, "line": line, "route": code.route(q),
            **({"unreachable": view.unreachable} if view.unreachable else {}),
            "reads": UNKNOWN if view.unknown else LEVEL_NAMES[view.reads],
            "writes": (UNKNOWN if view.unknown else LEVEL_NAMES[view.writes_level]) if view.writes else None,
            "patient_data": [last_part(m) for m in view.models], "rows_restricted_to_user": view.restricted,
            "evidence": view.evidence, **({"unknown_because": view.unknown} if view.unknown else {}),
            **({"handlers": _handlers(view)} if not view.unknown and _handlers(view) else {}),
        })
    return found


def _handlers(view: View) -> dict[str, str]:
    """Who may call each handler a class view defines, where they differ (`get` checks membership, `put` does
    not): the class's shared guard for that kind of request, raised by what the handler checks itself."""
    levels = {h: view.handler_level(h) for h in view.handler_levels}
    if len(set(levels.values())) < 2:
        return {}
    tested = {m.name for m in getattr(view.node, "body", []) if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
              and levels.get(m.name, AUTHZ) < AUTHZ and decides_by_user(m)}
    return {h: LEVEL_NAMES[lv] + (" (then a test of the user wardgate does not read)" if h in tested else "")
            for h, lv in sorted(levels.items())}


def render_text(facts: dict[str, Any]) -> str:
    lines = ["Project settings"]
    for key, value in facts["settings"].items():
        lines.append(f"  {key}: {value if value not in (None, [], '') else '-'}")
    lines += ["", f"Patient-data models ({len(facts['patient_models'])})"]
    for m in facts["patient_models"]:
        audit = m["audit"] or "NONE"
        if m["audit"] == UNKNOWN:
            audit = f"unknown ({m['audit_unknown_because']})"
        lines.append(f"  {m['model']}  {m['path']}:{m['line']}\n      why: {m['why']}\n      audit: {audit}")
    dead = facts.get("models_not_loaded", [])
    if dead:
        lines += ["", (f"Classes Django never loads ({len(dead)}): nothing imports their module, and Django imports "
                       "only the app's models package")]
        lines += [f"  {m['model']}  {m['path']}:{m['line']}" for m in dead]
    drugs = facts.get("controlled_drugs", [])
    lines += ["", f"Controlled-drug models ({len(drugs)})"]
    lines += [f"  {d['model']}  {d['path']}:{d['line']}\n      why: {d['why']}" for d in drugs]
    endpoints = [e for e in facts["endpoints"] if e["patient_data"]]
    lines += ["", f"Endpoints touching patient data ({len(endpoints)} of {len(facts['endpoints'])} views)"]
    for e in endpoints:
        access = f"reads: {e['reads']}" + (f", writes: {e['writes']}" if e["writes"] else "")
        scoped = "; rows restricted to the user" if e["rows_restricted_to_user"] else ""
        route = f" {e['route']}" if e["route"] else ""
        dead = f" (unreachable: {e['unreachable']})" if e.get("unreachable") else ""
        handlers = "; ".join(f"{h}: {who}" for h, who in e.get("handlers", {}).items())
        lines.append(f"  {e['view']}{route}  {e['path']}:{e['line']}{dead}\n      {access}{scoped}; data: "
                     f"{', '.join(e['patient_data'])}" + (f"\n      evidence: {'; '.join(e['evidence'])}"
                                                        if e["evidence"] else "")
                     + (f"\n      per handler: {handlers}" if handlers else ""))
    flows = facts.get("flows") or {}
    if any(flows.values()):
        lines += ["", "Where patient data starts flowing (besides PHI fields of patient models)"]
        for q, fields in flows.get("str_renders_phi", {}).items():
            lines.append(f"  str() of {last_part(q)} renders {', '.join(fields)}")
        for k in flows.get("identifiers_in_query_strings", []):
            lines.append(f"  `{k['key']}` read from query strings at {k['path']}:{k['line']}: request URLs carry it")
        for ml in flows.get("mask_lists", []):
            lines.append(f"  mask list for {ml['model']} at {ml['path']}:{ml['line']}: unmasked PHI "
                         f"{', '.join(ml['unmasked_phi']) or '-'}")
    writes = facts.get("write_paths", [])
    if writes:
        unseen = [w for w in writes if w["audit_sees_it"] is False]
        seen = [w for w in writes if w["audit_sees_it"]]
        quiet = [w for w in writes if w["quiet"]]
        lines += ["", (f"Writes to patient data ({len(writes)}: {len(unseen)} the audit trail does not see, "
                  f"{len(seen)} it sees, {len(quiet)} not audit-relevant)")]
        for title, group in (("not seen", unseen), ("seen", seen), ("quiet", quiet)):
            for w in group:
                lines.append(f"  [{title}] {w['kind']} {last_part(w['model'])}  {w['path']}:{w['line']} "
                             f"in {last_part(w['function'] or '-')}(): {w['why']}")
    if facts["unknown"]:
        lines += ["", (f"Could not be resolved ({len(facts['unknown'])}): no gating finding rests on these. Point "
                  "wardgate at the project's environment (VIRTUAL_ENV or .venv/) or declare the mechanism in "
                  "[tool.wardgate.domain] (audit_base_classes, permission_mixins, login_required_middleware).")]
        for u in facts["unknown"]:
            lines.append(f"  {u['what']}  {u['path']}:{u['line']}: {u['why']}")
    if facts["not_analysed"]:
        lines += ["", f"Not analysed ({len(facts['not_analysed'])}): " + ", ".join(facts["not_analysed"][:20])]
    return "\n".join(lines) + "\n"


def _audit_middleware(models: ModelIndex, code: ProjectCode) -> str | None:
    found = request_audit_middleware(models, code)
    if found is None:
        return None
    cls, model, installed = found
    state = "installed" if installed else f"{UNKNOWN} whether it runs (no MIDDLEWARE setting found)"
    return f"{last_part(cls)} records each request in {last_part(model)}: {state}"
