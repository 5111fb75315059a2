"""Where a project draws its per-user boundary: the models some view restricts to the requesting user in its
get_queryset() (a project's annotations kept to their members' projects). Rules that look for a way past that
boundary (WG319's child rows, WG321's related fields) start here.
"""
from __future__ import annotations

from ..names import last_part
from .django_code import ProjectCode
from .django_models import ModelIndex
from .patient_data import USER_BASES
from .views import is_generic_view_base


def view_model(code: ProjectCode, models: ModelIndex, q: str) -> str | None:
    ref = code.attr(q, "model")
    found = models.lookup(ref) if isinstance(ref, str) else None
    return found.qualname if found is not None else None


def user_scoped_models(code: ProjectCode, models: ModelIndex) -> dict[str, str]:
    """Models some view restricts to the requesting user in its get_queryset(), and the first such view; with the
    concrete model a scoped one extends (`ProjectAnnotateEntities(Project)`: the rows children link to). Accounts
    are left out: a user seeing only their own account draws no tenant boundary."""
    out: dict[str, str] = {}
    for q, info in sorted(code.classes.items()):
        if not info.user_queryset or not serves_rows(code, q):
            continue
        found = view_model(code, models, q)
        if found is None or is_account(models, found):
            continue
        out.setdefault(found, q)
        for base in models.models[found].bases:
            parent = models.lookup(base)
            if parent is not None and not parent.abstract and parent.qualname in models.django:
                out.setdefault(parent.qualname, q)
    return out


def is_account(models: ModelIndex, q: str) -> bool:
    info = models.models.get(q)
    return info is None or last_part(q) == "User" or any(last_part(b) in USER_BASES for b in info.bases)


# Views that serve their queryset through the framework: DRF's generic views and viewsets, Django's generic views.
_DJANGO_GENERIC = frozenset({"ListView", "DetailView", "UpdateView", "DeleteView", "BaseListView", "BaseDetailView"})


def serves_rows(code: ProjectCode, q: str) -> bool:
    return any(is_generic_view_base(last_part(a)) or last_part(a) in _DJANGO_GENERIC for a in code.ancestors(q))
