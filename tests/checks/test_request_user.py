"""Which local names hold the requesting user, or something read from it (checks/facts/guards.py): the base of
every "is this lookup tied to the user?" judgement."""
from __future__ import annotations

import ast
from textwrap import dedent

from checks.facts.guards import AUTHZ, NONE, body_level, decides_by_user, request_user_names
from checks.names import ImportMap


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


def test_a_ninja_controllers_user_and_its_refusal_tuple_make_a_check() -> None:
    """django-ninja-extra: the caller is `self.context.request.user`; `return 403, None` turns it away."""
    from checks.facts.guards import AUTHZ, body_level
    from checks.names import ImportMap
    from checks.walk import walk

    tree = ast.parse(dedent("""
        def update_password(self, user_id):
            caller = self.context.request.user
            if not (caller.id == user_id or caller.can_manage_users):
                return 403, None
        """))
    imports = ImportMap.build(tree, "accounts.controllers", False, list(walk(tree)))
    assert names("def v(self):\n    caller = self.context.request.user\n") == {"caller"}
    assert body_level(tree.body[0], imports) == AUTHZ


def test_a_row_looked_up_by_a_secret_the_client_posts_is_the_holders() -> None:
    """`SurveyAssignment.objects.get(patient_token=data.get("patient_token"))`: a capability, posted or in the URL."""
    from checks.facts.guards import AUTHZ, body_level
    from checks.names import ImportMap
    from checks.walk import walk

    tree = ast.parse(dedent("""
        def post(self, request):
            data = json.loads(request.body)
            token = data.get("patient_token")
            assignment = SurveyAssignment.objects.get(patient_token=token, state="requested")
        """))
    imports = ImportMap.build(tree, "proms.views", False, list(walk(tree)))
    assert body_level(tree.body[0], imports) == AUTHZ


def test_a_permission_test_that_only_picks_the_next_page_guards_nothing() -> None:
    def level(code: str) -> int:
        fn = ast.parse(dedent(code)).body[0]
        return body_level(fn, ImportMap(module="app.views"))

    saves_then_picks = """
        def create_scale(request):
            form = ScaleForm(request.POST)
            form.save()
            if request.user.has_perm('app.view_scale'):
                return redirect('scale_list')
            else:
                return redirect('item_create')
        """
    assert level(saves_then_picks) == NONE
    assert level(saves_then_picks.replace("redirect('item_create')", "redirect('login')")) == AUTHZ
    assert level(saves_then_picks.replace("return redirect('item_create')",
                                          "return HttpResponseForbidden()")) == AUTHZ
    # Rows picked by role are a decision about the caller.
    assert level("""
        def patients(request):
            if request.user.has_perm('app.view_all'):
                rows = Patient.objects.all()
            else:
                rows = Patient.objects.filter(ward=request.user.ward)
            return render(request, 'p.html', {'rows': rows})
        """) == AUTHZ
    # Nor does it make the view one that decides by its user.
    fn = ast.parse(dedent(saves_then_picks)).body[0]
    assert isinstance(fn, ast.FunctionDef) and not decides_by_user(fn)
