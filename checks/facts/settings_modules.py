"""Which settings module production runs, and which settings modules only a developer's machine loads.

Django picks its settings from `DJANGO_SETTINGS_MODULE`; a project names its default where the server starts:
`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")` beside
`get_wsgi_application()` / `get_asgi_application()` (or, when those name no settings module of the project, the
defaults `manage.py` chooses from). Those modules, and every module they import from (`from .base import *`),
are what a deployed server runs. A settings module outside that set that turns `DEBUG` on (`DEBUG = True`, or an
environment lookup defaulting to True; cookiecutter-django's `local.py`, a `dev.py`) is development-only:
`manage.py runserver` loads it, no server does. When no entry point names a default, nothing is known to be
development-only. An entry point defaulting to a module fixed at `DEBUG = True` beside another defaulting to one
that is not names a developer's fallback, not production; so does one whose project has a sibling module, built on
the same base, that turns DEBUG off or is named for production (`settings.py` beside `settings_prod.py`, `local.py`
beside `production.py`): that sibling is what is deployed.
When no entry point names a default (the deployment sets DJANGO_SETTINGS_MODULE), a module of a settings package
named for production (`settings/production.py`) that leaves DEBUG off stands for it. Test-run settings modules
(`settings/testing.py`) outside production are development-only too, and so is a module of a settings package that
nothing loads: no entry point, no other module (no import, no `--settings=...` or `DJANGO_SETTINGS_MODULE` string,
no mention in any Python file) names it while the entry points name its siblings (an EDC template's
`settings/minimal.py`). A module named for a deployment (`production`, `staging`, `live`, `docker`) is never taken
as unused: a server may name it from outside the tree.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..names import ImportMap
from ..source import SourceFile
from ..vocabulary import Vocabulary

NAME = "settings_modules"
# How a project names the settings module its deployment runs, and the one its test runs load.
_PRODUCTION_MODULE = re.compile(r"(^|_)(production|prod)(_settings)?$")
# Names a deployment gives its own settings module: one is never taken as unused, as a server may name it from outside
# the tree (a container's environment, a host's config).
_DEPLOYED_MODULE = re.compile(r"(^|_)(production|prod|staging|stage|live|uat|preprod|deploy|deployed|server|heroku|"
                              r"docker|aws|azure|gcp|k8s|kubernetes)(_settings)?$")
_TEST_MODULE = re.compile(r"(^|_)(test|tests|testing|ci)(_settings)?$")
_SERVERS = frozenset({"get_wsgi_application", "get_asgi_application"})
# A dotted module name with a `settings` part (`effect_edc.settings.live`, `config.settings`), as code, scripts and
# docstrings name the settings module to load.
_SETTINGS_NAME = re.compile(r"\b[A-Za-z_]\w*(?:\.\w+)*\.?settings(?:\.\w+)*\b|\b\w+(?:\.\w+)*_settings\b")


@dataclass
class FileSettings:
    module: str
    served: list[str] = field(default_factory=list)  # DJANGO_SETTINGS_MODULE defaults beside a WSGI/ASGI app
    managed: list[str] = field(default_factory=list)  # the defaults manage.py sets
    debug_on: bool = False  # a settings module that turns DEBUG on (`DEBUG = True`, or an env default of True)
    debug_fixed: bool = False  # ...with the literal `DEBUG = True`, which no deployment can turn off
    debug_off: bool = False  # a settings module that sets the literal `DEBUG = False`
    debug_set: bool = False  # ...that assigns DEBUG at all (literal or from the environment)
    imports: list[str] = field(default_factory=list)  # modules it imports from
    is_settings: bool = False
    mentions: list[str] = field(default_factory=list)  # settings module names its text mentions


@dataclass
class SettingsModules:
    production: set[str] = field(default_factory=set)  # served modules and all they import from
    debug_on: set[str] = field(default_factory=set)
    debug_fixed: set[str] = field(default_factory=set)  # modules with the literal `DEBUG = True`
    unused: set[str] = field(default_factory=set)  # settings-package modules nothing names or imports
    # production modules whose DEBUG another production module, built on them, sets again (`settings.py` under
    # `settings_prod.py`'s `from .settings import *` + `DEBUG = False`)
    debug_overridden: set[str] = field(default_factory=set)

    def served_with_debug(self) -> bool:
        """A module the server runs fixes `DEBUG = True` and no served module built on it sets DEBUG again (False
        when which module a server runs is unknown)."""
        return any(m in self.debug_fixed and m not in self.debug_overridden for m in self.production)

    def development_only(self, module: str) -> bool:
        """`module` turns DEBUG on, is named for test runs (`settings/testing.py`) or is loaded by nothing, and no
        server runs it (nothing is development-only when production is unknown)."""
        return bool(self.production) and module not in self.production and (
            module in self.debug_on or module in self.unused
            or _TEST_MODULE.search(module.rsplit(".", 1)[-1]) is not None)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileSettings | None:
    if src.tree is None or src.looks_like_test:
        return None
    text = src.text
    out = FileSettings(imports.module)
    server = any(s in text for s in _SERVERS)
    if "DJANGO_SETTINGS_MODULE" in text and (server or src.path.endswith("manage.py")):
        for node in src.nodes:
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == "DJANGO_SETTINGS_MODULE" and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str)):
                (out.served if server else out.managed).append(node.args[1].value)
            elif (server and isinstance(node, ast.Assign) and len(node.targets) == 1
                  and isinstance(node.targets[0], ast.Subscript) and isinstance(node.targets[0].slice, ast.Constant)
                  and node.targets[0].slice.value == "DJANGO_SETTINGS_MODULE" and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str)):
                out.served.append(node.value.value)  # `os.environ["DJANGO_SETTINGS_MODULE"] = "...live"`
    is_settings = src.looks_like_settings or _defines_settings(src.tree)
    out.is_settings = is_settings
    if "settings" in text:
        out.mentions = sorted({m.group(0).strip(".") for m in _SETTINGS_NAME.finditer(text)} - {imports.module})
    if is_settings:
        # `from .base import *`, `from .base import env`, `import config.settings.base`: the module and its names
        out.imports = sorted(set(imports.stars) | {m.rsplit(".", 1)[0] for m in imports.aliases.values()}
                             | set(imports.aliases.values()))
        debug = [s.value for s in src.tree.body if isinstance(s, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DEBUG" for t in s.targets)]
        out.debug_on = any(_on(v) for v in debug)
        out.debug_fixed = any(isinstance(v, ast.Constant) and v.value is True for v in debug)
        out.debug_off = any(isinstance(v, ast.Constant) and v.value is False for v in debug)
        out.debug_set = bool(debug)
    return out if out.served or out.managed or out.debug_on or out.imports or is_settings or out.mentions else None


# Settings only a Django settings module defines: a module that sets them is one, whatever its file is called
# (`config/django_settings.py`).
_CORE_SETTINGS = frozenset({"INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE"})


def _defines_settings(tree: ast.Module) -> bool:
    return any(isinstance(t, ast.Name) and t.id in _CORE_SETTINGS for s in tree.body if isinstance(s, ast.Assign)
               for t in s.targets)


def _on(value: ast.expr) -> bool:
    """`True`, or an environment lookup that defaults to it (`env.bool("DEBUG", True)`, `default=True`)."""
    if isinstance(value, ast.Constant):
        return value.value is True
    if isinstance(value, ast.Call):
        defaults = [*value.args[1:2], *(k.value for k in value.keywords if k.arg == "default")]
        return any(isinstance(d, ast.Constant) and d.value in (True, "True", "true", "1", 1) for d in defaults)
    return False


def _imported(module: str, by_module: dict[str, FileSettings]) -> set[str]:
    """The settings modules `module` builds on, transitively."""
    out: set[str] = set()
    todo = [i for i in by_module[module].imports if i in by_module]
    while todo:
        m = todo.pop()
        if m not in out:
            out.add(m)
            todo += [i for i in by_module[m].imports if i in by_module]
    return out


def _is_settings_package(module: str, by_module: dict[str, FileSettings]) -> bool:
    """`module` sits in a package of settings modules (`isic.settings.production` beside `isic.settings.base`)."""
    package = module.rsplit(".", 1)[0]
    return sum(1 for m in by_module if m.rsplit(".", 1)[0] == package) >= 2


def merge(per_file: dict[str, FileSettings], vocab: Vocabulary) -> SettingsModules:
    by_module = {fs.module: fs for fs in per_file.values()}
    out = SettingsModules(debug_on={m for m, fs in by_module.items() if fs.debug_on},
                          debug_fixed={m for m, fs in by_module.items() if fs.debug_fixed})
    # The WSGI/ASGI defaults; when none of them names a settings module of the project (an empty package whose
    # module the deployment sets), the defaults manage.py picks between stand in for them.
    todo = [m for fs in per_file.values() for m in fs.served if m in by_module]
    if not todo:
        todo = [m for fs in per_file.values() for m in fs.managed if m in by_module]
    if not todo:
        # No entry point names one (the deployment sets DJANGO_SETTINGS_MODULE): the settings module named for
        # production (`settings/production.py`, `heroku_production.py`), unless it turns DEBUG on.
        todo = [m for m, fs in by_module.items() if _PRODUCTION_MODULE.search(m.rsplit(".", 1)[-1])
                and not fs.debug_on and (fs.imports or fs.debug_off or _is_settings_package(m, by_module))]
    # One entry point defaulting to a module fixed at DEBUG = True beside another defaulting to one that is not
    # (cookiecutter-django's asgi.py -> local, wsgi.py -> production): the first is a developer's fallback.
    fixed = {m for m in todo if by_module[m].debug_fixed}
    if fixed and set(todo) - fixed:
        todo = [m for m in todo if m not in fixed]
    elif fixed and set(todo) == fixed:
        # Every entry point defaults to a module fixed at DEBUG = True (`settings.py` beside `settings_prod.py`):
        # the deployment names its own, a sibling that turns DEBUG off and builds on the same base or on the module
        # itself. Each project of the tree on its own (two Django projects, each with its entry points).
        todo = []
        for m in sorted(fixed):
            bases = {i for i in by_module[m].imports if i in by_module} | {m}
            todo += sorted(s for s, fs in by_module.items() if s not in fixed and bases & set(fs.imports) and (
                fs.debug_off or (_PRODUCTION_MODULE.search(s.rsplit(".", 1)[-1]) and not fs.debug_on))) or [m]
    while todo:  # the served modules and, transitively, the settings modules they import from
        m = todo.pop()
        if m in out.production:
            continue
        out.production.add(m)
        if m in by_module:
            todo += [i for i in by_module[m].imports if i in by_module]
    for m in out.production:
        importers = {p for p in out.production if p != m and p in by_module and m in _imported(p, by_module)}
        if any(by_module[p].debug_set for p in importers):
            out.debug_overridden.add(m)
    named = {n for fs in per_file.values() for n in (*fs.mentions, *fs.imports, *fs.served, *fs.managed)}
    out.unused = {m for m, fs in by_module.items() if fs.is_settings and out.production and m not in out.production
                  and _is_settings_package(m, by_module) and not _DEPLOYED_MODULE.search(m.rsplit(".", 1)[-1])
                  and not any(n == m or n.startswith(m + ".") or m.endswith("." + n) for n in named)}
    return out


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
