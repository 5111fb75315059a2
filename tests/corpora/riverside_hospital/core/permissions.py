"""Authorization building blocks used by the ward, pharmacy and lab apps."""
import functools

from django.contrib.auth import decorators as auth_dec
from django.contrib.auth import mixins as auth_mixins
from rest_framework import permissions as perms

NURSING_GROUPS = {"ward-nurses", "charge-nurses"}
PHARMACY_GROUPS = {"pharmacists", "pharmacy-technicians"}


def _in_groups(user, names):
    return user.is_authenticated and user.groups.filter(name__in=names).exists()


def is_ward_staff(user):
    return _in_groups(user, NURSING_GROUPS) or user.has_perm("wards.change_admission")


def ward_staff_required(view_func=None, *, login_url=None):
    """``@ward_staff_required``: signed-in member of a nursing group (or holder of wards.change_admission)."""
    decorator = auth_dec.user_passes_test(is_ward_staff, login_url=login_url)
    if view_func is None:
        return decorator
    return functools.wraps(view_func)(decorator(view_func))


class ClinicalPermissionMixin(auth_mixins.PermissionRequiredMixin):
    """PermissionRequiredMixin that also refuses anonymous users with 403 rather than a redirect loop."""

    raise_exception = True

    def has_permission(self):
        return self.request.user.is_authenticated and super().has_permission()


class IsWardNurse(perms.BasePermission):
    message = "Only ward nursing staff may record medication administration."

    def has_permission(self, request, view):
        return bool(request.user and _in_groups(request.user, NURSING_GROUPS))


class IsPharmacist(perms.BasePermission):
    message = "Pharmacist verification required."

    def has_permission(self, request, view):
        if request.method in perms.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and _in_groups(request.user, PHARMACY_GROUPS))
