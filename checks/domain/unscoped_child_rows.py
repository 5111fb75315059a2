from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.guards import AUTHN, AUTHZ, LEVEL_NAMES
from ..facts.patient_data import RELATION_FIELDS
from ..facts.user_scope import is_account, serves_rows, user_scoped_models, view_model
from ..facts.views import all_views, filter_backends_keep_users_rows
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# How far a served row may be from the record the project scopes (`MetaAnnotation -> AnnotatedEntity -> Project`).
MAX_LINKS = 2

_MODELS = ("annotate/models.py", """\
    from django.db import models

    class Project(models.Model):
        name = models.CharField(max_length=100)
        members = models.ManyToManyField("auth.User")

    class Annotation(models.Model):
        project = models.ForeignKey(Project, on_delete=models.CASCADE)
        text = models.TextField()
    """)
_PROJECTS = """\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from annotate.models import Annotation, Project

            class ProjectViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]
                queryset = Project.objects.all()

                def get_queryset(self):
                    return Project.objects.filter(members=self.request.user)
            """
_URLS = ("annotate/urls.py", """\
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter
    from annotate import views

    router = DefaultRouter()
    router.register('projects', views.ProjectViewSet)
    router.register('annotations', views.AnnotationViewSet)
    urlpatterns = [path('api/', include(router.urls))]
    """)


class UnscopedChildRows(Check):
    """## What it does
    Flags a routed class-based view that serves every row of a model (`queryset = Annotation.objects.all()`, no
    `get_queryset()` of its own or its bases, nothing beyond a login checking the caller) when each of those rows
    belongs, through one or two foreign keys, to a record the project shows a user only as their own: another
    view's `get_queryset()` keeps just the requesting user's `Project` rows (`filter(members=self.request.user)`).
    The project drew the boundary at the parent; the child's view walks past it.

    A view whose permission classes check roles or objects, or that restricts rows itself, is not flagged; nor is
    a model that is itself restricted somewhere (WG312 and WG314 judge those views).

    ## Why is this bad?
    Multi-tenant health systems scope by project, clinic, ward or study; a child table reached without that scope
    (the annotations of every project, the observations of every organisation) hands any signed-in user the
    records of tenants they are not part of, readable and often writable by id. HIPAA §164.312(a)(1) access
    control; §164.308(a)(4) information access management.

    ## Example
    ```python
    class AnnotationViewSet(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated]
        queryset = Annotation.objects.all()
    ```

    Use instead:
    ```python
    class AnnotationViewSet(viewsets.ModelViewSet):
        permission_classes = [IsAuthenticated]

        def get_queryset(self):
            return Annotation.objects.filter(project__members=self.request.user)
    ```
    """

    code = "WG319"
    name = "unscoped-child-rows"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "View serves every row of records that belong to a parent the project scopes to its users"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        Valid(_PROJECTS + """\

            class AnnotationViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]

                def get_queryset(self):
                    return Annotation.objects.filter(project__members=self.request.user)
            """, path="annotate/views.py", files=(_MODELS, _URLS)),
        # Nothing in the project scopes projects to their members: no boundary to walk past.
        Valid(_PROJECTS.replace("members=self.request.user", "name__isnull=False") + """\

            class AnnotationViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]
                queryset = Annotation.objects.all()
            """, path="annotate/views.py", files=(_MODELS, _URLS)),
    )
    INVALID = (
        Invalid(_PROJECTS + """\

            class AnnotationViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]
                queryset = Annotation.objects.all()
            """, line=12, path="annotate/views.py", files=(_MODELS, _URLS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None:
            return
        scoped: dict[str, str] | None = None
        for view in all_views(self.ctx, node):
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or view.unknown or view.unreachable or view.restricted \
                    or view.object_only is not None or not AUTHN <= min(view.reads, AUTHZ) < AUTHZ:
                continue
            q = f"{self.ctx.imports.module}.{cls.name}"
            model = view_model(code, models, q)
            if model is None or code.routed(q) is not True or _scopes_itself(code, q) or not serves_rows(code, q) \
                    or is_account(models, model):
                continue
            if scoped is None:
                scoped = user_scoped_models(code, models)
            if not scoped or model in scoped:
                continue
            path = _path_to(models, model, scoped)
            if path is None:
                continue
            parent, links = path
            by = scoped[parent]
            where = code.lookup(by)
            site = f" ({where.path}:{where.line})" if where is not None else ""
            self.report(cls, f"{cls.name} serves every {last_part(model)} row to {LEVEL_NAMES[view.reads]} "
                        f"({'; '.join(view.evidence) or 'no check beyond the login'}), while each belongs to one "
                        f"{last_part(parent)} ({' -> '.join(links)}) and {last_part(by)}.get_queryset(){site} shows a "
                        f"user only their own {last_part(parent)} rows: any signed-in user reaches the "
                        f"{last_part(model)} rows of every {last_part(parent)}.",
                        fix=f"Restrict get_queryset() the way {last_part(by)} does, through the relation "
                        f"(`{last_part(model)}.objects.filter({'__'.join(links[1:])}__<the same user filter>)`).")


def _scopes_itself(code: ProjectCode, q: str) -> bool:
    """The view or a project base defines how rows are chosen (`get_queryset`, `filter_queryset`, `get_object`), or
    a filter backend keeps only the rows the user may see."""
    return any(info is not None and ({"get_queryset", "filter_queryset", "get_object"} & set(info.methods)
                                     or info.user_queryset)
               for info in (code.lookup(a) for a in [q, *code.ancestors(q)])) or filter_backends_keep_users_rows(code, q)


def _path_to(models: ModelIndex, model: str, scoped: dict[str, str]) -> tuple[str, list[str]] | None:
    """The scoped record `model`'s rows belong to, up to MAX_LINKS foreign keys away, and the way there
    (["Annotation", "project"])."""
    todo: list[tuple[str, list[str]]] = [(model, [last_part(model)])]
    for _ in range(MAX_LINKS):
        following: list[tuple[str, list[str]]] = []
        for q, links in todo:
            info = models.models.get(q)
            for f in (info.fields.values() if info is not None else ()):
                if f.kind not in RELATION_FIELDS[:2]:
                    continue
                target = models.lookup(f.target) if f.target else None
                if target is None or target.qualname == q or is_account(models, target.qualname):
                    continue
                if target.qualname in scoped:
                    return target.qualname, [*links, f.name]
                following.append((target.qualname, [*links, f.name]))
        todo = following
    return None
