"""Which local names hold the requesting user, or something read from it (checks/facts/guards.py): the base of
every "is this lookup tied to the user?" judgement."""
from __future__ import annotations

import ast
from textwrap import dedent

from checks.facts.guards import request_user_names


def names(code: str) -> set[str]:
    return request_user_names(ast.parse(dedent(code)))


def test_values_read_from_the_user_are_the_users() -> None:
    assert names("""
        def view(request):
            user = request.user
            profile = user.profile
            doctor = Doctor.objects.get(user=user)
            clinics = Clinic.objects.for_user(user)
            q = Q(owner=user)
            hospital = get_hospital(user)
            rows = utils.samples.save_recorded(data, user.username)
        """) == {"user", "profile", "doctor", "clinics", "q", "hospital", "rows"}


def test_what_a_form_or_service_handed_the_user_returns_is_not() -> None:
    assert names("""
        def view(request, pk):
            current = request.user
            form = DonorForm(request.POST, user=current)
            donor = form.save(current)
            mailer = Mailer()
            sent = mailer.send(current)
            organ = Organ.objects.create(created_by=current)
        """) == {"current"}
