"""DRF permission classes shared by the clinical APIs."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

NURSE_GROUPS = ("Dialysis nurses", "Nurse in charge")
PRESCRIBER_GROUPS = ("Nephrologists", "Renal pharmacists")


def _in_groups(user, names):
    return user.is_superuser or user.groups.filter(name__in=names).exists()


class RenalBasePermission(BasePermission):
    """Every clinical permission starts from an authenticated, active staff member."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


class IsCareTeamMember(RenalBasePermission):
    message = "You are not on this patient's care team."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.care_teams.exists()

    def has_object_permission(self, request, view, obj):
        patient = getattr(obj, "patient", obj)
        return patient.care_team.members.filter(pk=request.user.pk).exists()


class IsNurse(RenalBasePermission):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and _in_groups(request.user, NURSE_GROUPS)


class IsPrescriber(RenalBasePermission):
    """Anyone on the unit may read orders; only prescribers may write them."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        return _in_groups(request.user, PRESCRIBER_GROUPS) and request.user.has_perm("pharmacy.add_prescription")
