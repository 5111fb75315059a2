from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.drf_permissions import ObjectOnly
from ..facts.guards import LEVEL_NAMES
from ..facts.object_scope import analyse, is_request_handler
from ..facts.views import View, all_views, served_model_refs
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# DRF views whose `list()` answers every row of the queryset (no get_object(), so no object permission).
_LISTING_BASES = frozenset({"ListModelMixin", "ListAPIView", "ListCreateAPIView", "ReadOnlyModelViewSet",
                            "ModelViewSet"})
# Filter backends that choose rows by what the client asks for, never by who asks.
_CLIENT_FILTERS = frozenset({"DjangoFilterBackend", "SearchFilter", "OrderingFilter"})

_MODELS = ("feeds/models.py", """\
    from django.db import models

    class Feed(models.Model):
        owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        name = models.CharField(max_length=100)

    class Comment(models.Model):
        feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="comments")
        owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        content = models.TextField()
    """)
_PERMISSIONS = ("feeds/permissions.py", """\
    from rest_framework import permissions

    class IsOwner(permissions.BasePermission):
        def has_object_permission(self, request, view, obj):
            return obj.owner == request.user

    class IsOwnerOrReadOnly(permissions.BasePermission):
        def has_object_permission(self, request, view, obj):
            if request.method in permissions.SAFE_METHODS:
                return True
            return obj.owner == request.user

    class IsFeedManager(permissions.BasePermission):
        def has_permission(self, request, view):
            return request.user.groups.filter(name="feed_managers").exists()

        def has_object_permission(self, request, view, obj):
            return obj.owner == request.user
    """)
# The URLconf that serves the examples' views (FeedArchive is served by none).
_URLS = ("feeds/urls.py", """\
    from django.urls import path
    from feeds import views

    urlpatterns = [
        path("feeds/<int:pk>/comments/", views.FeedCommentList.as_view()),
        path("feeds/<int:pk>/clear/", views.FeedClear.as_view()),
        path("feeds/", views.FeedList.as_view()),
        path("feeds/mine/", views.MyFeeds.as_view()),
        path("feeds/<int:pk>/", views.FeedDetail.as_view()),
        path("comments/", views.CommentList.as_view()),
    ]
    """)
_IMPORTS = """\
            from django.shortcuts import get_object_or_404
            from rest_framework import generics, permissions
            from feeds.models import Comment, Feed
            from feeds.permissions import IsFeedManager, IsOwner, IsOwnerOrReadOnly

"""


class ObjectCheckNeverRuns(Check):
    """## What it does
    Flags a DRF view whose only check beyond login is a permission class's `has_object_permission()` (an
    owner or sharing test made per object), on a path where DRF never runs that check:
    - a handler or `get_queryset()` that fetches its row itself by the id in the URL or request
      (`get_object_or_404(Feed, pk=self.kwargs["pk"])`, `Feed.objects.get(pk=pk)`) and hands it to neither
      `self.check_object_permissions()` nor anything else that checks the caller;
    - a list (`ListAPIView`, a viewset's `list()`) whose rows are not restricted to the caller by
      `get_queryset()` or a filter backend of the project.

    Only views a URLconf (or a router it includes) is seen to serve are judged. Views whose permission classes
    restrict before the row (`IsAdminUser`, model permissions, a role test in
    `has_permission()`), classes wardgate cannot read, and object checks that let every read through
    (`if request.method in SAFE_METHODS: return True`) on a read are not flagged.

    ## Why is this bad?
    DRF calls `has_permission()` on every request but `has_object_permission()` only from
    `check_object_permissions()`, which `GenericAPIView.get_object()` calls. A view that looks its row up
    any other way, or lists rows, skips the owner test its permission class was written for: any signed-in
    user reads (or changes) other users' records by id. DRF's documentation warns that object permissions
    do not apply to lists. Broken object-level authorization (OWASP API1:2023), HIPAA §164.312(a)(1) access
    control.

    ## Example
    ```python
    class FeedCommentList(generics.ListAPIView):
        permission_classes = (permissions.IsAuthenticated, IsOwner)

        def get_queryset(self):
            feed = get_object_or_404(Feed, pk=self.kwargs["pk"])  # IsOwner never runs
            return feed.comments.all()
    ```

    Use instead: `feed = Feed.objects.get(pk=...)` then `self.check_object_permissions(self.request, feed)`,
    or restrict the lookup to the caller (`get_object_or_404(Feed, pk=..., owner=self.request.user)`).
    """

    code = "WG317"
    name = "object-check-never-runs"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "A DRF view's only access check is per object, and this path never runs it"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        # The row goes through DRF's own get_object(), which runs IsOwner.
        Valid(_IMPORTS + """\
            class FeedCommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)
                queryset = Feed.objects.all()

                def get_queryset(self):
                    return self.get_object().comments.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # The view checks the row it fetched itself.
        Valid(_IMPORTS + """\
            class FeedCommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)

                def get_queryset(self):
                    feed = get_object_or_404(Feed, pk=self.kwargs["pk"])
                    self.check_object_permissions(self.request, feed)
                    return feed.comments.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # The lookup is restricted to the caller's own feeds.
        Valid(_IMPORTS + """\
            class FeedCommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)

                def get_queryset(self):
                    return get_object_or_404(Feed, pk=self.kwargs["pk"], owner=self.request.user).comments.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # The permission class restricts before the row (a group test in has_permission()).
        Valid(_IMPORTS + """\
            class FeedCommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsFeedManager)

                def get_queryset(self):
                    return get_object_or_404(Feed, pk=self.kwargs["pk"]).comments.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # Every read is open by design (IsOwnerOrReadOnly); the list only reads.
        Valid(_IMPORTS + """\
            class CommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwnerOrReadOnly)
                queryset = Comment.objects.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # The list is restricted to the caller's rows.
        Valid(_IMPORTS + """\
            class MyFeeds(generics.ListCreateAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)

                def get_queryset(self):
                    return Feed.objects.filter(owner=self.request.user)
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # A detail view: DRF's retrieve/update/destroy run IsOwner through get_object().
        Valid(_IMPORTS + """\
            class FeedDetail(generics.RetrieveUpdateDestroyAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)
                queryset = Feed.objects.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # No URLconf serves it (a viewset left off the router, a class kept for later): nothing reaches it.
        Valid(_IMPORTS + """\
            class FeedArchive(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)
                queryset = Feed.objects.all()
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # A project filter backend decides which rows a list shows (it may restrict them to the caller).
        Valid(_IMPORTS + """\
            from feeds.filters import OwnFeedsFilter

            class FeedList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)
                queryset = Feed.objects.all()
                filter_backends = (OwnFeedsFilter,)
            """, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS, ("feeds/filters.py", """\
                class OwnFeedsFilter:
                    def filter_queryset(self, request, queryset, view):
                        return queryset.filter(owner=request.user)
                """))),
    )
    INVALID = (
        # The feed comes from the URL through get_object_or_404: IsOwner never runs, any user reads any feed's
        # comments.
        Invalid(_IMPORTS + """\
            class FeedCommentList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)

                def get_queryset(self):
                    feed = get_object_or_404(Feed, pk=self.kwargs["pk"])
                    return feed.comments.all()
            """, line=6, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # A handler that looks the feed up by its URL argument and deletes it: the write IsOwnerOrReadOnly
        # was written to stop.
        Invalid(_IMPORTS + """\
            from rest_framework.response import Response
            from rest_framework.views import APIView

            class FeedClear(APIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)

                def post(self, request, pk):
                    Feed.objects.get(pk=pk).comments.all().delete()
                    return Response(status=204)
            """, line=9, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
        # Object permissions do not apply to lists: every user's feeds are listed.
        Invalid(_IMPORTS + """\
            class FeedList(generics.ListAPIView):
                permission_classes = (permissions.IsAuthenticated, IsOwner)
                queryset = Feed.objects.all()
            """, line=6, path="feeds/views.py", files=(_MODELS, _PERMISSIONS, _URLS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None:
            return
        for view in all_views(self.ctx, node):
            cls = view.node
            per_object = view.object_only
            if not isinstance(cls, ast.ClassDef) or per_object is None or view.unknown or view.unreachable:
                continue
            q = f"{self.ctx.imports.module}.{cls.name}"
            if code.routed(q) is not True:
                continue  # only where a URLconf or a router included by one is seen to serve it
            checking = {m for a in code.ancestors(q) if (info := code.lookup(a)) is not None
                        for m in info.object_checking_methods}
            if view.restricted or per_object.reads_open:
                continue
            if not self._own_lookups(cls, per_object, checking, code, models, view) \
                    and self._lists_every_row(q, code, checking):
                refs = served_model_refs(code, self.ctx.imports, cls)
                shown = last_part(refs[0]) if refs else "its"
                self.report(cls, f"{cls.name} lists {shown} rows with no restriction to the caller, and its only check "
                            f"beyond login, {_classes(per_object)}.has_object_permission(), never runs for a list "
                            "(DRF applies object permissions to single objects only): "
                            f"{LEVEL_NAMES[per_object.before]} sees every row.",
                            fix="Restrict get_queryset() to the caller's rows (the owner test of the permission class, "
                            "as a filter), or a filter backend that does.",
                            severity=self._severity(view, refs, models))

    def _own_lookups(self, cls: ast.ClassDef, per_object: ObjectOnly, checking: set[str], code: ProjectCode,
                     models: ModelIndex, view: View) -> bool:
        """Handlers and get_queryset() that fetch a row by the client's id themselves, and check nothing on it."""
        for fn in cls.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name in checking \
                    or not is_request_handler(fn):
                continue
            unscoped = analyse(fn, self.ctx.imports, models, code).unscoped
            if not unscoped:
                continue
            found = unscoped[0]
            model = last_part(found.model)
            # The whole view is the defect (its permission classes and this path): from the class to the lookup.
            self.report(cls, f"{cls.name}.{fn.name}() fetches {model} by the {found.keys[0]} the client sent "
                        f"itself, so {_classes(per_object)}.has_object_permission(), the view's only check beyond "
                        "login, never runs on it (DRF runs it only through get_object() or "
                        f"check_object_permissions()): {LEVEL_NAMES[per_object.before]} reaches any {model} by id.",
                        fix=f"Call self.check_object_permissions(self.request, obj) on the {model} fetched, or "
                        "restrict the lookup to the caller.",
                        severity=self._severity(view, [found.model], models), end_node=found.node)
            return True  # one finding per view
        return False

    def _lists_every_row(self, q: str, code: ProjectCode, checking: set[str]) -> bool:
        """The view answers a list through DRF's own `list()`, from a get_queryset() that runs no object check,
        and no filter backend of the project (which may restrict rows to the caller) filters it."""
        ancestors = code.ancestors(q)
        if not any(last_part(a) in _LISTING_BASES for a in ancestors) or "get_queryset" in checking:
            return False
        methods = code.attr(q, "http_methods")
        if isinstance(methods, list) and "get" not in methods:
            return False
        if any("list" in info.methods for a in ancestors if (info := code.lookup(a)) is not None):
            return False  # a list() of the project's own: WG314 and the row checks read it
        backends = code.attr(q, "filter_backends")
        backends = backends if isinstance(backends, list) else [b for bs in code.default_filters for b in bs]
        return all(b.startswith(("django_filters.", "rest_framework.filters.")) or last_part(b) in _CLIENT_FILTERS
                   for b in backends)

    @staticmethod
    def _severity(view: View, refs: list[str], models: ModelIndex) -> Severity:
        """High for patient data; the same hole over the project's other records is medium."""
        return Severity.HIGH if view.models or any(models.is_patient_model(r) for r in refs) else Severity.MEDIUM


def _classes(per_object: ObjectOnly) -> str:
    return "/".join(last_part(c) for c in per_object.classes)
