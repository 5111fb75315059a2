"""The facts wardgate could not resolve, reported once per run (WG020) so nobody mistakes silence for a pass."""
from __future__ import annotations

from ..finding import Category, Finding, Severity
from ..index import ProjectIndex
from ..names import last_part
from ..vocabulary import Vocabulary
from .django_code import ProjectCode
from .django_models import ModelIndex
from .raw_sql import NAME as RAW_SQL
from .raw_sql import RawSqlIndex
from .settings_modules import NAME as SETTINGS
from .settings_modules import SettingsModules
from .views import is_view_base
from .write_paths import request_audit_middleware

EXAMPLES = 3


def unresolved(project: ProjectIndex, paths: set[str] | None = None,
               vocab: Vocabulary | None = None) -> list[tuple[str, int, str]]:
    """(path, line, what) of each patient model whose audit, and each view class whose access control,
    rests on a base wardgate could not read, and each raw SQL statement wardgate could not take apart;
    only in `paths` when given (a diff run: resolving every class's ancestors costs more than its files)."""
    models: ModelIndex | None = project.fact("django_models")
    code: ProjectCode | None = project.fact("django_code")
    out: list[tuple[str, int, str]] = []
    if models is not None:
        own = sorted((m for q, m in models.models.items() if q in models.django and not m.abstract
                      and not m.path.startswith("<") and not _looks_like_test(m.path)), key=lambda m: (m.path, m.line))
        if own and not models.patient and (paths is None or own[0].path in paths):
            # Silence here would read as a pass: say that the patient-data checks had nothing to judge.
            out.append((own[0].path, own[0].line, (
                f"which models hold patient data: none of the project's {len(own)} models has an identifying "
                "field, a person's demographics or a link to a patient record, so the audit-trail, access and PHI "
                "checks judged none (patient records kept in JSON fields or generic entities: declare their models "
                "as patient_models)")))
        for q, base in sorted(models.unknown_audit.items()):
            m = models.models[q]
            if q in models.patient and not m.path.startswith("<"):
                out.append((m.path, m.line, f"the audit trail of {m.name} (base {base})"))
    if code is not None:
        for q, info in sorted(code.classes.items()):
            if (paths is not None and info.path not in paths) or info.path.startswith("<") \
                    or code.installed(q.rsplit(".", 1)[0]) is False:
                continue
            ancestors = code.ancestors(q)
            unread = code.unresolved(q)
            if unread and any(is_view_base(a) for a in ancestors) and not _looks_like_test(info.path):
                out.append((info.path, info.line, f"the access control of {last_part(q)} (base {unread[0]})"))
        for q, (path, line) in sorted(code.unread_decorators.items()):
            if (paths is None or path in paths) and not _looks_like_test(path):
                out.append((path, line, (f"whether decorator {last_part(q)} checks access (it hands the request to "
                            "project code before the view runs; views relying on it are not judged)")))
        for framework, resources in sorted(unread_api_resources(code, paths).items()):
            path, line, name = resources[0]
            out.append((path, line, (f"the access control of the {framework} API ({len(resources)} resource "
                                     f"class(es), such as {name}): wardgate does not read {framework}'s "
                                     "authentication and authorization, so none of its endpoints is judged")))
        for callee, path, line in sorted(code.unread_routes, key=lambda r: (r[1], r[2])):
            if paths is None or path in paths:
                out.append((path, line, (f"the access control of the views that {callee}() adds to the URLconf: "
                                         "wardgate cannot read the routes a library's URL factory makes, so none of "
                                         "them is judged")))
        for view, sites in sorted(code.routes.items()):
            if not _graphql(view):
                continue
            for _pattern, module in sites[:1]:
                path = module.replace(".", "/") + ".py"
                if paths is None or path in paths:
                    out.append((path, 1, (f"the access control of the GraphQL API at {code.route(view) or '?'} "
                                          f"({last_part(view)}): its queries and mutations are endpoints wardgate "
                                          "does not read, so none of them is judged")))
        recorder = request_audit_middleware(models, code) if models is not None else None
        if recorder is not None and recorder[2] is None:
            where = code.classes.get(recorder[0])
            if where is not None and (paths is None or where.path in paths):
                out.append((where.path, where.line, (f"whether middleware {last_part(recorder[0])} runs: it records each "
                            f"request in {last_part(recorder[1])}, but no MIDDLEWARE setting was found (settings "
                            "outside the repository), so writes in request code are not judged")))
        gate = code.unknown_login_middleware(vocab or Vocabulary())
        path, line = middleware_site(project)
        if gate and (paths is None or path in paths):
            what = f"whether middleware {gate} requires login (views without a login check of their own are not judged)"
            out.append((path, line, what))
    raw: RawSqlIndex | None = project.fact(RAW_SQL)
    if raw is not None:
        out += [(p, line, what) for p, line, what in raw.unknowns()
                if not _looks_like_test(p) and "/migrations" not in f"/{p}"]
    return out


# API frameworks whose endpoints are classes wardgate does not model: the module their resources derive from.
_UNREAD_API_BASES = {"tastypie.resources.": "Tastypie", "piston.handler.": "django-piston"}


def unread_api_resources(code: ProjectCode, paths: set[str] | None = None) -> dict[str, list[tuple[str, int, str]]]:
    """{framework: [(path, line, class name)]} of the project's resource classes of an API framework wardgate
    does not read (Tastypie's `ModelResource`), outside tests; only in `paths` when given."""
    out: dict[str, list[tuple[str, int, str]]] = {}
    for q, info in sorted(code.classes.items(), key=lambda c: (c[1].path, c[1].line)):
        if (paths is not None and info.path not in paths) or info.path.startswith("<") or _looks_like_test(info.path):
            continue
        framework = next((name for a in code.ancestors(q) for prefix, name in _UNREAD_API_BASES.items()
                          if a.startswith(prefix)), None)
        if framework is not None:
            out.setdefault(framework, []).append((info.path, info.line, last_part(q)))
    return out


def middleware_site(project: ProjectIndex) -> tuple[str, int]:
    """Where the MIDDLEWARE setting is: in the settings a server runs when wardgate knows which."""
    code: ProjectCode | None = project.fact("django_code")
    sites = code.middleware_at if code is not None else []
    served: SettingsModules | None = project.fact(SETTINGS)
    production = served.production if served is not None else set()
    return next((s for s in sites if s[0].removesuffix(".py").replace("/", ".") in production), sites[0] if sites else ("", 0))


def unresolved_note(project: ProjectIndex, analysed: set[str], vocab: Vocabulary | None = None) -> Finding | None:
    items = [i for i in unresolved(project, analysed, vocab) if i[0] in analysed]
    if not items:
        return None
    path, line, _ = items[0]
    shown = "; ".join(what for _p, _l, what in items[:EXAMPLES])
    more = f" and {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else ""
    return Finding(rule_id="WG020", category=Category.WARDGATE, severity=Severity.INFO, tool="wardgate",
                   path=path, start_line=max(line, 1), end_line=max(line, 1),
                   message=f"wardgate could not resolve {len(items)} fact(s): {shown}{more}. No finding rests on "
                   "them. Point wardgate at the project's environment ([tool.wardgate] python, or .venv/) or "
                   "declare them in [tool.wardgate.domain] (raw SQL: keep the table name literal); `wardgate facts` lists "
                   "them all.")


# Views that serve a whole GraphQL schema (graphene-django, strawberry, ariadne, graphene-file-upload's subclass).
_GRAPHQL_PACKAGES = ("graphene_django.", "strawberry.", "ariadne", "graphene_file_upload.", "graphql_jwt.")


def _graphql(view: str) -> bool:
    return last_part(view).endswith("GraphQLView") or view.startswith(_GRAPHQL_PACKAGES)


def _looks_like_test(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("tests", "test") for p in parts) or parts[-1].startswith("test")
