"""View decorators for the HTML side of the unit."""
from functools import wraps

from django.contrib.auth.decorators import user_passes_test

from .permissions import NURSE_GROUPS, PRESCRIBER_GROUPS


def in_groups(*names):
    def check(user):
        return user.is_authenticated and (user.is_superuser or user.groups.filter(name__in=names).exists())

    return check


nurse_required = user_passes_test(in_groups(*NURSE_GROUPS), login_url="/accounts/login/")


def prescriber_required(view_func):
    checked = user_passes_test(in_groups(*PRESCRIBER_GROUPS), login_url="/accounts/login/")(view_func)

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        return checked(request, *args, **kwargs)

    return wrapper
