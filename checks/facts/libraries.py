"""What installed packages do to the classes that use them, read from `checks/library_models.toml`.

A project's views, mixins and models often take their access control or audit trail from a package
(OPAL's `LoginRequiredViewset`, reversion's `VersionAdmin`, guardian's mixins). wardgate never
imports those packages; it knows the common ones from this declarative table, reads others from the
project's environment when it can (checks/facts/environment.py), and calls the rest `unknown`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..names import last_part

# Packages whose classes and decorators add no access control and no audit trail: a base from them
# is resolved (nothing to add), not unknown.
NEUTRAL_PACKAGES = frozenset({
    "builtins", "object", "typing", "typing_extensions", "abc", "enum", "collections", "dataclasses", "functools",
    "django", "rest_framework", "ninja", "pydantic", "django_filters", "drf_spectacular", "drf_yasg", "model_utils",
    "django_extensions", "polymorphic", "mptt", "treebeard", "taggit", "import_export", "crispy_forms",
    "django_tables2", "celery", "factory", "graphene", "graphene_django", "modelcluster", "wagtail", "phonenumber_field",
    "localflavor", "encrypted_model_fields", "django_cryptography", "safedelete", "softdelete", "ordered_model",
    "simple_history", "auditlog", "reversion", "pghistory", "easyaudit", "unittest", "pytest",
})


@dataclass(frozen=True)
class LibraryClass:
    qualname: str
    auth: str | None = None  # "authn" | "authz"
    audit: str | None = None
    patient: str | None = None
    link: str | None = None  # the model its rows point at by an identifier rather than a foreign key
    phi_properties: tuple[str, ...] = ()  # properties that render a person's identifying fields (`name`)
    model: bool = False
    concrete: bool = False
    reference: bool = False
    view: bool = False
    login_middleware: bool = False
    exempt_path_settings: tuple[str, ...] = ()  # a login middleware's settings of public path patterns
    exempt_view_settings: tuple[str, ...] = ()  # ... of public views, by dotted name
    exempt_decorators: tuple[str, ...] = ()  # ... decorators and mixins that make a view public
    revision_middleware: bool = False
    version_admin: bool = False
    bases: tuple[str, ...] = ()  # the package's own bases of the class (what a project subclass extends)
    # a class whose instance, declared on a model (`history = AuditTrail()`), records that model's changes: the mechanism
    history_field: str | None = None
    injects: str | None = None  # a view decorator that fetches a row by the URL's pk and hands it to the view


@cache
def _table() -> dict[str, LibraryClass]:
    raw = tomllib.loads(resources.files("checks").joinpath("library_models.toml").read_text(encoding="utf-8"))
    def fields(facts: dict[str, Any]) -> dict[str, Any]:  # TOML lists are the dataclass's tuples
        return {k: tuple(v) if isinstance(v, list) else v for k, v in facts.items()}
    return {name: LibraryClass(qualname=name, **fields(facts)) for name, facts in raw.items()}


@cache
def library_class(ref: str | None) -> LibraryClass | None:
    """The declared facts of a package class, by its qualified name as the project imports it."""
    if not ref:
        return None
    table = _table()
    if ref in table:
        return table[ref]
    # `opal.core.api.LoginRequiredViewset` re-exported as `opal.core.api.viewsets.LoginRequiredViewset`: the
    # package and the class name must agree.
    hits = [c for name, c in table.items() if last_part(name) == last_part(ref)
            and name.split(".")[0] == ref.split(".")[0]]
    if len(hits) == 1:
        return hits[0]
    module = ref.rsplit(".", 1)[0]
    return table.get(module + ".*")


def version_admin_base(ref: str) -> bool:
    """reversion's VersionAdmin, or a package's subclass of it declared in the table (reversion-compare's)."""
    found = library_class(ref)
    return last_part(ref) == "VersionAdmin" or (found is not None and found.version_admin)


def library_ancestors(ref: str) -> list[str]:
    """The package bases of `ref` declared in the table, nearest first (`JWTCookieAuthentication` ->
    `JWTAuthentication`)."""
    out: list[str] = []
    todo = [ref]
    while todo:
        found = library_class(todo.pop(0))
        for b in found.bases if found is not None else ():
            if b not in out:
                out.append(b)
                todo.append(b)
    return out


def concrete_models() -> list[LibraryClass]:
    """Package models a project queries directly (OPAL's Patient and Episode)."""
    return [c for c in _table().values() if c.concrete]


def neutral(ref: str) -> bool:
    """A name from a package known to add no access control or audit (Django itself, DRF, ...)."""
    return ref.split(".")[0] in NEUTRAL_PACKAGES
