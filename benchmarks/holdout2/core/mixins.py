"""Class-based view mixins and base viewsets."""
from django.contrib.auth.mixins import UserPassesTestMixin
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from .permissions import NURSE_GROUPS


class GroupRequiredMixin(UserPassesTestMixin):
    group_names: tuple[str, ...] = ()

    def test_func(self):
        user = self.request.user
        return user.is_superuser or user.groups.filter(name__in=self.group_names).exists()


class NurseRequiredMixin(GroupRequiredMixin):
    group_names = NURSE_GROUPS


class CareTeamQuerysetMixin:
    """Restrict a patient-linked queryset to patients on the requesting user's care teams."""

    care_team_lookup = "patient__care_team__members"

    def get_queryset(self):
        return super().get_queryset().filter(**{self.care_team_lookup: self.request.user}).distinct()


# ok: permission
class ClinicalModelViewSet(viewsets.ModelViewSet):
    """Common base for the clinical APIs: token/session authentication, no PUT (PATCH only)."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
