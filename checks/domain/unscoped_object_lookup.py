from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode, is_extra_action
from ..facts.django_models import ModelIndex
from ..facts.guards import AUTHN, AUTHZ, NONE, body_level, key_read, looks_up_by_user, mentions_user
from ..facts.object_scope import (
    LOOKUPS,
    HandlerScope,
    Lookup,
    analyse,
    bindings,
    is_request_handler,
    relates,
    user_attributes,
)
from ..facts.user_scope import is_account, user_scoped_models
from ..facts.views import SINGLE_OBJECT_VIEWS, WRITE_HANDLERS, View, all_views, served_model_refs
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

# Pages that keep answers to their user, and an edit page that relies on Django's get_object().
_ANSWER_PAGES = """\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import ListView, UpdateView
            from survey.models import Answer

            class AnswerList(LoginRequiredMixin, ListView):
                def get_queryset(self):
                    return Answer.objects.filter(user=self.request.user)

            class LatestAnswers(LoginRequiredMixin, ListView):
                def get_queryset(self):
                    return Answer.objects.filter(user=self.request.user).order_by("-pk")[:5]

            class AnswerEdit(LoginRequiredMixin, UpdateView):
                model = Answer
                fields = ["text"]
"""
_MODELS = ("genomics/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)

    class Project(models.Model):
        name = models.CharField(max_length=50)

    class Family(models.Model):
        guid = models.CharField(max_length=30, unique=True)
        project = models.ForeignKey(Project, on_delete=models.CASCADE)
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Variant(models.Model):
        guid = models.CharField(max_length=30, unique=True)
        family = models.ForeignKey(Family, on_delete=models.CASCADE)
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        note = models.TextField()
    """)
_CHECKS = ("genomics/permissions.py", """\
    from django.core.exceptions import PermissionDenied

    def check_project_permissions(project, user):
        if not project.members.filter(pk=user.pk).exists():
            raise PermissionDenied()
    """)
_ANSWERS = ("survey/models.py", """\
    from django.conf import settings
    from django.db import models

    class Answer(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        text = models.TextField()
    """)


_CHAT_MODELS = ("assist/models.py", """\
    from django.conf import settings
    from django.db import models

    class Chat(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        external_id = models.UUIDField(unique=True)
        title = models.CharField(max_length=200)
    """)
# A viewset that shows each user their own chats, and an extra action on one chat.
# A study-access decorator that checks the URL's `study_id` (and that a `survey_id` belongs to it).
_STUDY_FILES = (("study/models.py", """\
    from django.db import models

    class Study(models.Model):
        name = models.CharField(max_length=80)

    class Participant(models.Model):
        patient_id = models.CharField(max_length=8, unique=True)
        study = models.ForeignKey(Study, on_delete=models.PROTECT)

    class Survey(models.Model):
        study = models.ForeignKey(Study, on_delete=models.PROTECT)
    """), ("study/auth.py", """\
    import functools
    from django.core.exceptions import PermissionDenied
    from study.models import Study

    def study_access(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            study_id = kwargs.get("study_id")
            survey_id = kwargs.get("survey_id", request.POST.get("survey_id"))
            if not request.user.studies.filter(pk=study_id).exists():
                raise PermissionDenied
            if survey_id and not Study.objects.filter(pk=study_id, survey=survey_id).exists():
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapper
    """))
# A page offering the user's own children, and the child a form posts back.
_CHILDREN = ("family/models.py", """\
    from django.conf import settings
    from django.db import models

    class Child(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="children", on_delete=models.CASCADE)
        uuid = models.UUIDField(unique=True)
        birthday = models.DateField()

    class Session(models.Model):
        child = models.ForeignKey(Child, on_delete=models.CASCADE)
    """)
_CHOOSE_CHILD = """\
            from django.views.generic import DetailView
            from family.models import Child, Session

            class StudyPage(DetailView):
                def get_context_data(self, **kwargs):
                    context = super().get_context_data(**kwargs)
                    context["children"] = self.request.user.children.filter(deleted=False)
                    return context

                def post(self, request, *args, **kwargs):
                    child = Child.objects.get(uuid=request.POST["child_id"])
                    Session.objects.create(child=child)
"""
_STUDY_IMPORTS = """\
            from django.shortcuts import get_object_or_404
            from study.auth import study_access
            from study.models import Participant, Survey

"""
_CHATS = """\
            from rest_framework import viewsets
            from rest_framework.decorators import action
            from rest_framework.response import Response
            from assist.models import Chat

            class ChatViewSet(viewsets.ModelViewSet):
                queryset = Chat.objects.all()
                lookup_field = "external_id"

                def get_queryset(self):
                    return self.queryset.filter(user=self.request.user)

                @action(detail=True, methods=["post"])
                def rename(self, *args, **kwargs):
                    chat = Chat.objects.get(external_id=kwargs["external_id"])
                    chat.title = self.request.data["title"]
                    chat.save()
                    return Response({"title": chat.title})
            """


# A trial whose Donor manager keeps each user to their hospital's donors.
_TRIAL = (("trial/models.py", """\
    from django.db import models

    class DonorQuerySet(models.QuerySet):
        def for_user(self, user):
            return self.filter(hospital=user.based_at)

    class Donor(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)
        date_of_birth = models.DateField()
        hospital = models.CharField(max_length=40)
        closed = models.BooleanField(default=False)
        objects = DonorQuerySet.as_manager()

        def randomise(self, active_user=None):
            self.arm = "A"
    """), ("trial/forms.py", """\
    from django import forms
    from trial.models import Donor

    class DonorForm(forms.ModelForm):
        class Meta:
            model = Donor
            fields = ["hospital"]
    """))
# The list goes through the project's row scope; the edit page fetches the donor by its id alone. Neither the
# closed-case test (the row's state, then the user's role), the form saved as the user nor the randomisation
# done as the user checks access to the row.
_TRIAL_VIEWS = """\
            from django.contrib.auth.decorators import permission_required
            from django.shortcuts import get_object_or_404, redirect, render
            from trial.forms import DonorForm
            from trial.models import Donor

            @permission_required("trial.change_donor")
            def donor_list(request):
                return render(request, "list.html", {"donors": Donor.objects.for_user(request.user)})

            @permission_required("trial.change_donor")
            def donor_form(request, pk):
                donor = get_object_or_404(Donor, pk=pk)
                user = request.user
                if donor.closed and not user.is_staff:
                    return redirect("donor_list")
                form = DonorForm(request.POST or None, instance=donor)
                if form.is_valid():
                    donor = form.save(user)
                    donor.randomise(active_user=user)
                return render(request, "form.html", {"form": form})
"""


# Nested routes: patients/<patient_pk>/moles/<mole_pk>/images/, the permission checks the patient.
_SKIN = (("skin/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=20, unique=True)
        doctors = models.ManyToManyField("auth.User")

    class Mole(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class MoleImage(models.Model):
        mole = models.ForeignKey(Mole, on_delete=models.CASCADE)
        diagnosis = models.TextField()
    """), ("skin/permissions.py", """\
    from rest_framework.permissions import BasePermission

    class IsDoctorOfPatient(BasePermission):
        def has_permission(self, request, view):
            return request.user.patient_set.filter(pk=view.kwargs["patient_pk"]).exists()
    """))
_IMAGES = """\
            from rest_framework import mixins, viewsets
            from skin.models import Mole, MoleImage
            from skin.permissions import IsDoctorOfPatient

            class MoleImageViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.CreateModelMixin):
                permission_classes = [IsDoctorOfPatient]
                queryset = MoleImage.objects.all()

                def get_queryset(self):
                    return super().get_queryset().filter(mole=self.kwargs["mole_pk"])
"""
# The same, through the mole of the patient the permission checked.
_TIED_IMAGES = _IMAGES.replace('filter(mole=self.kwargs["mole_pk"])', 'filter(mole=self.get_mole())') + """
                def get_mole(self):
                    return Mole.objects.get(pk=self.kwargs["mole_pk"], patient=self.kwargs["patient_pk"])
"""


# Doctors see their own patients (PatientViewSet); a study action takes any patient's id.
_CLINIC = (("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=20, unique=True)
        doctors = models.ManyToManyField("auth.User")

    class Study(models.Model):
        title = models.CharField(max_length=80)
        patients = models.ManyToManyField(Patient)
    """), ("clinic/permissions.py", """\
    from rest_framework.permissions import BasePermission

    class IsDoctor(BasePermission):
        def has_permission(self, request, view):
            return hasattr(request.user, "doctor")
    """), ("clinic/patients.py", """\
    from rest_framework import viewsets
    from clinic.models import Patient
    from clinic.permissions import IsDoctor

    class PatientViewSet(viewsets.ReadOnlyModelViewSet):
        permission_classes = (IsDoctor,)
        queryset = Patient.objects.all()

        def get_queryset(self):
            return Patient.objects.filter(doctors=self.request.user)
    """))
_ENROL = """\
            from rest_framework import viewsets
            from rest_framework.decorators import action
            from clinic.models import Patient, Study
            from clinic.permissions import IsDoctor

            class StudyViewSet(viewsets.GenericViewSet):
                permission_classes = (IsDoctor,)
                queryset = Study.objects.all()

                @action(detail=True, methods=["post"])
                def enrol(self, request, pk):
                    patient = Patient.objects.get(pk=request.data["patient_pk"])
                    self.get_object().patients.add(patient)
"""


class UnscopedObjectLookup(Check):
    """## What it does
    Flags a lookup in request code that fetches rows by an id the client sent (a URL capture, a query or
    form parameter, a bound form's `cleaned_data`) on the primary key, a unique field or a relation, when
    nothing ties those rows to the requesting user: the lookup names neither the user nor an object whose
    access the code checked, and no check on the fetched rows follows. It needs evidence that rows are not
    open to every caller: the same function checks access to another object (the project's own check
    function, `has_perm`, a test against the user) and the rows are patient data or belong to that kind of
    object; or the handler's own class view keeps only the user's rows in `get_queryset()` and the handler
    (a DRF `@action`, an overridden `retrieve`) fetches that model, or rows that belong to it, past it instead
    of through `self.get_object()`; or the function view's access decorator checks one URL value (`study_id`,
    read from the view's keyword arguments) and the rows belong to that kind of object (`Participant.study`) but
    the lookup does not filter on it (`Participant.objects.get(patient_id=pid)`); or the same view (or function)
    reads the model only through the requesting user elsewhere (`self.request.user.children.filter(...)` for the
    choices a page offers) and then fetches the row a form posts back from all rows; or restricting the model to the
    requesting user is the module's norm (two or more request
    handlers, no more privileged, do it, twice as many as reach its rows unrestricted; or, for patient rows, one
    such handler reads them through the project's own row scope, a manager or queryset method handed the user such
    as `Donor.objects.for_user(user)`); or the project's view of that patient model keeps each user to their own rows
    (its `get_queryset()`) and the handler is guarded by a login only, or by the same permission classes as that
    view. Under that norm it also
    flags a generic DetailView/UpdateView/DeleteView of the model that takes its object from the URL through
    Django's own `get_object()` with no `get_queryset()` of its own. On a nested DRF route
    (`patients/<patient_pk>/moles/<mole_pk>/images/`) whose permission class checks the parent the URL names
    (`view.kwargs["patient_pk"]`), it flags each method of the view that picks patient rows by the child's capture
    alone (`filter(mole=self.kwargs["mole_pk"])`), neither filtering by the parent nor going through a method that does.

    ## Why is this bad?
    An insecure direct object reference: a user allowed on one project, clinic or record changes the id in
    the request and reads or changes another's rows, and nothing in the view's code shows it. HIPAA
    §164.312(a)(1) access control; §164.308(a)(4) minimum necessary access.

    ## Example
    ```python
    def add_note(request, variant_guid):
        family = Family.objects.get(guid=request.POST["family"])
        check_project_permissions(family.project, request.user)
        variant = Variant.objects.get(guid=variant_guid)  # any project's variant
        variant.note = request.POST["note"]
        variant.save()
    ```

    Use instead: fetch through what was checked, `Variant.objects.get(guid=variant_guid, family=family)`,
    or check the fetched row as the other one is checked.
    """

    code = "WG312"
    name = "unscoped-object-lookup"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Row fetched by an id the client sent, with nothing tying it to the requesting user"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # The participant is looked up within the study the decorator checked, directly or through a tied row; the
        # survey id is one the decorator itself matched to the study.
        Valid(_STUDY_IMPORTS + """\
            @study_access
            def participant_page(request, study_id, patient_id):
                participant = get_object_or_404(Participant, patient_id=patient_id, study_id=study_id)
                others = Participant.objects.filter(study=study_id).exclude(patient_id=patient_id)
                again = Participant.objects.get(pk=participant.pk)
                return render(request, "p.html", {"p": participant, "others": others, "again": again})

            @study_access
            def resend(request, study_id):
                survey_id = request.POST["survey_id"]
                return Survey.objects.get(pk=survey_id)
            """, path="study/views.py", files=_STUDY_FILES),
        # A viewset's router never sends a request to a method named `delete` (DELETE goes to `destroy`).
        Valid(_CHATS.replace("""                @action(detail=True, methods=["post"])
                def rename(self, *args, **kwargs):""", """                def delete(self, *args, **kwargs):"""),
              path="assist/views.py", files=(_CHAT_MODELS,)),
        # The row is read for the record kept after the base handler's own (restricted) lookup has passed.
        Valid(_CHATS.replace("""                @action(detail=True, methods=["post"])
                def rename(self, *args, **kwargs):
                    chat = Chat.objects.get(external_id=kwargs["external_id"])
                    chat.title = self.request.data["title"]
                    chat.save()
                    return Response({"title": chat.title})""", """                def destroy(self, request, *args, **kwargs):
                    before = Chat.objects.get(external_id=kwargs["external_id"]).title
                    answer = super().destroy(request, *args, **kwargs)
                    print("deleted", before)
                    return answer"""), path="assist/views.py", files=(_CHAT_MODELS,)),
        # The client's id is looked up together with an object the view fetched for the user.
        Valid(_CHATS.replace('Chat.objects.get(external_id=kwargs["external_id"])',
                             'Chat.objects.get(external_id=kwargs["external_id"], user=self.get_owner())'),
              path="assist/views.py", files=(_CHAT_MODELS,)),
        # The row looked up is the one the base view just created for this caller.
        Valid(_CHATS.replace("""                @action(detail=True, methods=["post"])
                def rename(self, *args, **kwargs):
                    chat = Chat.objects.get(external_id=kwargs["external_id"])""", """                def create(self, request, *args, **kwargs):
                    made = super().create(request, *args, **kwargs)
                    chat = Chat.objects.get(external_id=made.data["external_id"])"""),
              path="assist/views.py", files=(_CHAT_MODELS,)),
        # The extra action goes through the view's own restricted queryset.
        Valid(_CHATS.replace('Chat.objects.get(external_id=kwargs["external_id"])', "self.get_object()"),
              path="assist/views.py", files=(_CHAT_MODELS,)),
        # The variant is fetched through the family whose project was checked.
        Valid("""\
            from genomics.models import Family, Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                family = Family.objects.get(guid=request.POST["family"])
                check_project_permissions(family.project, request.user)
                variant = Variant.objects.get(guid=variant_guid, family=family)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # The same through a name for the family's project, checked.
        Valid("""\
            from genomics.models import Family, Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                family = Family.objects.get(guid=request.POST["family"])
                project = family.project
                check_project_permissions(project, request.user)
                variant = Variant.objects.get(guid=variant_guid, family=family)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # The fetched row itself is checked.
        Valid("""\
            from genomics.models import Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                variant = Variant.objects.get(guid=variant_guid)
                check_project_permissions(variant.family.project, request.user)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # What is read off the fetched row (its family's project) is what is checked: the row's own access.
        Valid("""\
            from genomics.models import Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                project = Variant.objects.get(guid=variant_guid).family.project
                check_project_permissions(project, request.user)
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # Whether a row exists is asked before fetching it; the fetched row is then checked.
        Valid("""\
            from genomics.models import Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                if Variant.objects.filter(guid=variant_guid).exists():
                    variant = Variant.objects.filter(guid=variant_guid).last()
                    check_project_permissions(variant.family.project, request.user)
                    variant.note = request.POST["note"]
                    variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # No evidence of per-object access: every clinician may open every variant.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from genomics.models import Variant

            @login_required
            def add_note(request, variant_guid):
                variant = Variant.objects.get(guid=variant_guid)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS,)),
        # Owner compared before the change.
        Valid("""\
            from django.http import HttpResponseForbidden
            from survey.models import Answer

            def answers(request):
                return Answer.objects.filter(user=request.user)

            def latest(request):
                return Answer.objects.filter(user=request.user).last()

            def edit(request, pk):
                answer = Answer.objects.get(pk=pk)
                if answer.user != request.user:
                    return HttpResponseForbidden()
                answer.text = request.POST["text"]
                answer.save()
            """, path="survey/views.py", files=(_ANSWERS,)),
        # The edit page restricts its rows like its siblings.
        Valid(_ANSWER_PAGES + """\

                def get_queryset(self):
                    return Answer.objects.filter(user=self.request.user)
            """, path="survey/views.py", files=(_ANSWERS,)),
        # The posted child is checked against the user before it is used.
        Valid(_CHOOSE_CHILD.replace(
            '                    Session.objects.create(child=child)',
            '                    if child.user != request.user:\n'
            '                        raise PermissionDenied\n'
            '                    Session.objects.create(child=child)').replace(
            "from django.views", "from django.core.exceptions import PermissionDenied\n            from django.views"),
            path="family/views.py", files=(_CHILDREN,)),
        # A more privileged handler may reach rows its user-facing sibling restricts.
        Valid("""\
            from django.contrib.auth.decorators import permission_required
            from survey.models import Answer

            def answers(request):
                return Answer.objects.filter(user=request.user)

            def latest(request):
                return Answer.objects.filter(user=request.user).last()

            @permission_required("survey.change_answer")
            def moderate(request, pk):
                answer = Answer.objects.get(pk=pk)
                answer.text = ""
                answer.save()
            """, path="survey/views.py", files=(_ANSWERS,)),
        # The patient is fetched by the very URL value the decorator checks; the clinic test is about another object.
        Valid("""\
            from django.core.exceptions import PermissionDenied
            from django.shortcuts import get_object_or_404
            from genomics.access import patient_access
            from genomics.models import Patient, Project

            @patient_access
            def chart(request, patient_id):
                project = Project.objects.get(pk=request.GET["project"])
                if project.name != request.user.username:
                    raise PermissionDenied
                patient = get_object_or_404(Patient, pk=patient_id)
                return patient.nhs_number
            """, path="genomics/views.py", files=(_MODELS, ("genomics/access.py", """\
                import functools
                from django.core.exceptions import PermissionDenied
                from genomics.models import Family

                def patient_access(view):
                    @functools.wraps(view)
                    def wrapper(request, *args, **kwargs):
                        if not Family.objects.filter(patient=kwargs["patient_id"], project__name=request.user.username).exists():
                            raise PermissionDenied
                        return view(request, *args, **kwargs)
                    return wrapper
                """))),
        # The page keeps the caller's own patients on the view (`self._mine`) and picks the one asked for among them.
        Valid("""\
            from django.views.generic import ListView
            from clinic.models import Patient, Study

            class StudyHistory(ListView):
                def get_queryset(self):
                    self._mine = Patient.objects.filter(doctors=self.request.user).values_list("id", flat=True)
                    return Study.objects.filter(patients__in=self._mine)

                def get_context_data(self, **kwargs):
                    context = super().get_context_data(**kwargs)
                    context["patient"] = Patient.objects.filter(id__in=self._mine, pk=self.request.GET["p"]).first()
                    return context
            """, path="clinic/history.py", files=_CLINIC),
        # Enrolling takes the patient from the caller's own patients.
        Valid(_ENROL.replace('Patient.objects.get(pk=request.data["patient_pk"])',
                             'Patient.objects.get(pk=request.data["patient_pk"], doctors=request.user)'),
              path="clinic/studies.py", files=_CLINIC),
        # The images are picked through a mole that must belong to the patient the permission checked.
        Valid(_TIED_IMAGES, path="skin/views.py", files=_SKIN),
        # The edit page fetches the donor through the same row scope.
        Valid(_TRIAL_VIEWS.replace("get_object_or_404(Donor, pk=pk)",
                                   "get_object_or_404(Donor.objects.for_user(request.user), pk=pk)"),
              path="trial/views.py", files=_TRIAL),
    )
    INVALID = (
        # The page offers the user's own children; the posted id may name anyone's child.
        Invalid(_CHOOSE_CHILD, line=10, path="family/views.py", files=(_CHILDREN,)),
        # The decorator checks the caller's access to the URL's study; the participant is fetched by its own id alone:
        # one study's researcher opens (and changes) another study's participants.
        Invalid(_STUDY_IMPORTS + """\
            @study_access
            def participant_page(request, study_id, patient_id):
                participant = get_object_or_404(Participant, patient_id=patient_id)
                return render(request, "p.html", {"p": participant})
            """, line=6, path="study/views.py", files=_STUDY_FILES),
        # Kept to the user by a project queryset method; destroy() looks the row up through another manager.
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.response import Response
            from assist.models import Chat

            class ChatViewSet(viewsets.ModelViewSet):
                def get_queryset(self):
                    return Chat.objects.filter_for_user(self.request.user)

                def destroy(self, request, pk=None):
                    Chat.all_objects.get(pk=pk).delete()
                    return Response(status=204)
            """, line=9, path="assist/views.py", files=(_CHAT_MODELS,)),
        # The rows are kept to the API key the caller sent; the action looks a chat up past that.
        Invalid(_CHATS.replace("""                    return self.queryset.filter(user=self.request.user)""",
                               """                    key = ApiKey.objects.get(key=self.request.headers["X-API-KEY"])
                    return self.queryset.filter(api_key=key)""").replace(
            "from assist.models import Chat", "from assist.models import ApiKey, Chat"),
            line=15, path="assist/views.py", files=(_CHAT_MODELS,)),
        # The viewset keeps each user's chats; its extra action looks a chat up past that restriction.
        Invalid(_CHATS, line=14, path="assist/views.py", files=(_CHAT_MODELS,)),
        Invalid("""\
            from genomics.models import Family, Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                family = Family.objects.get(guid=request.POST["family"])
                check_project_permissions(family.project, request.user)
                variant = Variant.objects.get(guid=variant_guid)
                variant.note = request.POST["note"]
                variant.save()
            """, line=4, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # The module restricts answers to their user, except where a form names one.
        Invalid("""\
            from django.shortcuts import get_object_or_404
            from survey.models import Answer

            class AnswerMixin:
                def answers(self, request):
                    return Answer.objects.filter(user=request.user)

                def latest(self, request):
                    return Answer.objects.filter(user=request.user).last()

                def submit(self, request, form):
                    for row in form.cleaned_data:
                        answer = get_object_or_404(Answer, pk=row.pop("answer_id"))
                        answer.text = row["text"]
                        answer.save()
            """, line=11, path="survey/views.py", files=(_ANSWERS,)),
        # The permission checks the patient in the URL; the images and the mole are picked by the mole's id alone.
        Invalid(_IMAGES, line=5, path="skin/views.py", files=_SKIN),
        # The same role that sees only its own patients enrols any patient by id.
        Invalid(_ENROL, line=11, path="clinic/studies.py", files=_CLINIC),
        # The project's own row scope, used by the list, passed by the edit page.
        Invalid(_TRIAL_VIEWS, line=11, path="trial/views.py", files=_TRIAL),
        # Every list and form of the module shows the user's own answers; the edit page opens any answer.
        Invalid(_ANSWER_PAGES + """\
            """, line=13, path="survey/views.py", files=(_ANSWERS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None:
            return
        handlers = list(self._handlers(node, code))
        if not handlers:
            return
        views = {id(v.node): v for v in all_views(self.ctx, node)}
        scopes: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int, HandlerScope]] = []
        restricting_views: dict[int, str] = {}  # handler -> the model its own view restricts in get_queryset()
        owner_of = {id(fn): owner for fn, owner in handlers}
        for fn, owner in handlers:
            view = views.get(id(owner))
            if view is not None and (view.unreachable or view.unknown and not view.unknown_login_only):
                continue  # (whether a login is needed changes nothing about which rows a signed-in user reaches)
            level = max(body_level(fn, self.ctx.imports), view.reads if view is not None else NONE)
            owner_attrs = user_attributes(owner) if isinstance(owner, ast.ClassDef) else frozenset()
            scopes.append((fn, level, analyse(fn, self.ctx.imports, models, code, users=owner_attrs)))
            viewset = any(last_part(a) in ("ViewSetMixin", "ViewSet", "GenericViewSet", "ModelViewSet")
                          for a in code.ancestors(f"{self.ctx.imports.module}.{owner.name}"))
            model = self._restricted_queryset(view, code, models) \
                if view is not None and _answers_requests(fn, viewset) else None
            if model is not None and not _uses_own_queryset(fn) \
                    and not (view is not None and _reads_only(fn) and _open_to_anonymous(owner, view)):
                restricting_views[id(fn)] = model
        scoped: dict[str, str] | None = None  # the project's per-user views of each model, when first needed
        for fn, level, scope in scopes:
            captures = self._decorator_captures(fn, code)
            for lookup in scope.unscoped:
                if _by_checked_capture(lookup, captures):
                    continue  # `get_object_or_404(User, pk=user_id)` under a decorator that checks `user_id` itself
                # Patient rows, or rows that belong to the kind of object checked (a family's variants).
                other = next((a for a in scope.authorized if models.is_patient_model(lookup.model)
                              or relates(models, lookup.model, a[2])), None)
                if other is not None:
                    self._report_other_object(fn, lookup, other)
                    continue
                capture = _untied_capture(fn, lookup, captures, models) if captures else None
                if capture is not None:
                    self._report_other_capture(fn, lookup, capture, captures[capture])
                    continue
                own = restricting_views.get(id(fn))
                if own is not None and (relates(models, lookup.model, own) or _filters_through(lookup, own)) \
                        and _by_client_alone(lookup):
                    self._report_bypass(fn, lookup, own)
                    continue
                # The same view (or function) keeps this model to the user elsewhere: the choices it offers are the
                # user's own rows (`request.user.children`), the id it acts on is anyone's.
                sibling = next((g for g, _, s in scopes if owner_of[id(g)] is owner_of[id(fn)]
                                and lookup.model in s.through_user), None)
                if sibling is not None:
                    self._report_own_rows_elsewhere(fn, lookup, sibling)
                    continue
                if self._norm_restricts(lookup.model, fn, level, scopes, views.values(), models):
                    peers = [g for g, lv, s in scopes if g is not fn and lv >= level and lookup.model in s.restricted]
                    by_id = [g for g, lv, s in scopes if g in peers and lookup.model in s.owner_by_id]
                    peer = (by_id or peers)[0]  # the best evidence: a peer fetching one row with its owner
                    self._report_against_peers(fn, lookup, peer)
                    continue
                # The project's own view of the model keeps each user to their rows (its get_queryset()), and this
                # handler, guarded by a login only, fetches one by the client's id from all of them.
                if models.is_patient_model(lookup.model) and not is_account(models, lookup.model):
                    if scoped is None:
                        scoped = user_scoped_models(code, models)
                    by = scoped.get(lookup.model)
                    owner = f"{self.ctx.imports.module}.{owner_of[id(fn)].name}"
                    owner_view = views.get(id(owner_of[id(fn)]))
                    # (a write handler of a view changing patient data at login only is WG302's: the same gap,
                    # said once)
                    login_writer = fn.name in WRITE_HANDLERS and owner_view is not None and owner_view.writes \
                        and bool(owner_view.models) and owner_view.writes_level <= AUTHN
                    if by is not None and by != owner and not login_writer and (
                            level < AUTHZ or _same_role(owner, by, code)):
                        self._report_scoped_elsewhere(fn, lookup, by, code)
        for view in views.values():
            if view.drf and isinstance(view.node, ast.ClassDef) and not (view.unknown or view.unreachable):
                self._nested_route(view, code, models)
        for view, model in self._single_object_views(views.values(), code, models):
            if self._norm_restricts(model, view.node, view.reads, scopes, views.values(), models, {id(view.node)}):
                peer = next(g for g, lv, s in scopes if lv >= view.reads and model in s.restricted)
                self.report(view.node, f"{view.node.name} fetches the {last_part(model)} named in its URL from all "
                            f"rows (Django's get_object() on `{last_part(model)}`), while {peer.name} (line "
                            f"{peer.lineno}) restricts {last_part(model)} to the requesting user: a caller can open "
                            "another user's row by changing the id in the URL.",
                            fix=f"Override get_queryset() to restrict {last_part(model)} to the requesting user, "
                            f"as {peer.name} does.")

    def _nested_route(self, view: View, code: ProjectCode, models: ModelIndex) -> None:
        """A nested route (`patients/<patient_pk>/moles/<mole_pk>/images/`) whose permission class checks the parent
        the URL names (`view.kwargs["patient_pk"]`) while the view picks its rows by the child's capture alone
        (`MoleImage.objects.filter(mole=self.kwargs["mole_pk"])`): the check passes for the caller's own parent, and
        the rows are another parent's."""
        cls = view.node
        assert isinstance(cls, ast.ClassDef)
        checked = {c for p in view.perm_classes for a in code.ancestors(p) for c in code.checked_captures(a)}
        if not checked:
            return
        # methods picking rows by captures, none of them the parent's (a method reading it, itself or through a
        # helper, filters or checks by it)
        reads = {name: keys for name, keys in _kwargs_reads(cls).items() if not keys & checked}
        if not reads:
            return
        ref = next((m for r in served_model_refs(code, self.ctx.imports, cls) for m in [models.lookup(r)]
                    if m is not None and m.qualname in models.django), None)
        if ref is None or not models.is_patient_model(ref.qualname):
            return
        capture = next((c for c in sorted(checked) if _path_to(models, ref.qualname, _capture_field(c))), None)
        if capture is None:
            return
        perm = next((last_part(p) for p in view.perm_classes for a in code.ancestors(p) if capture in
                     code.checked_captures(a)), "its permission class")
        for m in (m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and reads.get(m.name)):
            child = ", ".join(f"`{k}`" for k in sorted(reads[m.name]))
            node: ast.AST = cls if m.name == "get_queryset" else m
            what = self._looked_up(m, models) or ref.name
            self.report(node, f"{cls.name}.{m.name} picks {what} rows by {child} from the URL without tying them "
                        f"to `{capture}`, the parent {perm} checks: a caller allowed on their own "
                        f"{_capture_field(capture)} reaches another's {what} rows by naming that record's "
                        f"{child} under it.",
                        fix=f"Filter by `{capture}` too (`{_capture_field(capture)}=self.kwargs['{capture}']` along the "
                        "relation), so that the rows must belong to the parent the permission allowed.")

    def _looked_up(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, models: ModelIndex) -> str | None:
        """The model of the first `M.objects.get(...)`-style lookup in `fn`."""
        for n in walk(fn):
            if isinstance(n, ast.Attribute) and n.attr == "objects":
                info = models.lookup(self.qualname(n.value))
                if info is not None:
                    return info.name
        return None

    def _restricted_queryset(self, view: View, code: ProjectCode, models: ModelIndex) -> str | None:
        """The model of a class view whose get_queryset() (its own or a project base's) keeps the caller's rows."""
        if not isinstance(view.node, ast.ClassDef):
            return None
        q = f"{self.ctx.imports.module}.{view.node.name}"
        own = next((m for m in view.node.body if isinstance(m, ast.FunctionDef) and m.name == "get_queryset"), None)
        if not (_keeps_callers_rows(own) if own is not None else any(
                info is not None and info.user_queryset for info in map(code.lookup, code.ancestors(q)[1:]))):
            return None  # (a get_queryset() that only tests the user's role keeps no rows to them)
        for ref in served_model_refs(code, self.ctx.imports, view.node):
            model = models.lookup(ref) if isinstance(ref, str) else None
            if model is not None and model.qualname in models.django:
                return model.qualname
        return None

    def _report_bypass(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, lookup: Lookup, model: str) -> None:
        self.report(fn, end_node=lookup.node, message=f"{fn.name} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) itself, past its view's get_queryset(), which keeps only the caller's "
                    f"{last_part(model)} rows: a caller reaches others' rows through {fn.name} by sending their id.",
                    fix="Look the row up through the view's own queryset (`self.get_object()`, or a filter on "
                    "`self.get_queryset()`).")

    def _single_object_views(self, views, code: ProjectCode, models: ModelIndex):
        """(view, model) for generic single-object views (DetailView, UpdateView, DeleteView) whose object comes
        from the URL through Django's own get_object(): no get_queryset()/get_object() in the class or its
        project bases."""
        module = self.ctx.imports.module
        for view in views:
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or view.unknown or view.unreachable or view.drf:
                continue
            q = f"{module}.{cls.name}"
            ancestors = code.ancestors(q)
            if not {last_part(a) for a in ancestors} & SINGLE_OBJECT_VIEWS or any(
                    {"get_queryset", "get_object"} & set(info.methods)
                    for info in (code.lookup(a) for a in ancestors) if info is not None):
                continue
            ref = code.attr(q, "model")
            model = models.lookup(ref) if isinstance(ref, str) else None
            if model is not None and model.qualname in models.django:
                yield view, model.qualname

    @staticmethod
    def _norm_restricts(model: str, fn: ast.AST, level: int, scopes, views, models: ModelIndex,
                        also_open: set[int] | None = None) -> bool:
        """The module's norm for `model` is to restrict it to the requesting user: it holds patient data or
        rows related to users, two or more handlers no more privileged than `fn` restrict it, and they are at
        least twice as many as the handlers and views that reach its rows unrestricted (a "my patients"
        list beside open record pages is a convenience, not a rule); or three or more fetch one row by id together
        with the user, at least as many as reach it unrestricted."""
        if not (models.is_patient_model(model) or any(s.restricted.get(model) for _, _, s in scopes)):
            return False
        restricting = [g for g, lv, s in scopes if g is not fn and lv >= level and model in s.restricted]
        open_ = {id(g) for g, _, s in scopes if any(lk.model == model for lk in s.unscoped)}
        open_ |= {id(v.node) for v in views if model in v.models and not v.restricted and isinstance(v.node, ast.ClassDef)}
        open_ |= also_open or set()
        # Single rows fetched by id together with the user, three times or more and at least as often as without:
        # owner scoping of one row is the module's rule, whatever its lists do.
        by_id = [g for g, lv, s in scopes if g is not fn and lv >= level and model in s.owner_by_id]
        # Patient rows the module reads through the project's own per-user scope (`Donor.objects.for_user(user)`):
        # the project says which of them a user may see, whatever its other handlers do.
        scoped = [g for g, lv, s in scopes if g is not fn and lv >= level and model in s.project_scoped]
        if scoped and models.is_patient_model(model):
            return True
        return len(restricting) >= 2 and (len(restricting) >= 2 * len(open_) or len(by_id) >= 3 and len(by_id) >= len(open_))

    def _handlers(self, tree: ast.Module, code: ProjectCode):
        """(function, the top-level definition it belongs to) for the module's request handlers; ModelAdmin
        methods are left to Django's admin permissions."""
        module = self.ctx.imports.module
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_request_handler(stmt):
                yield stmt, stmt
            elif isinstance(stmt, ast.ClassDef) and not any(
                    last_part(a) in ("ModelAdmin", "BaseModelAdmin", "InlineModelAdmin")
                    for a in code.ancestors(f"{module}.{stmt.name}")):
                for m in stmt.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_request_handler(m):
                        yield m, stmt

    def _decorator_captures(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, code: ProjectCode) -> dict[str, str]:
        """The values a function view's access decorators check (`study_id` for a decorator reading
        `kwargs["study_id"]`), each with the decorator's name."""
        out: dict[str, str] = {}
        for d in fn.decorator_list:
            q = self.ctx.imports.qualname(d.func if isinstance(d, ast.Call) else d) or ""
            if code.decorator(q) == "authz":
                out.update({k: last_part(q) for k in code.checked_captures(q)})
        return out

    def _report_other_capture(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, lookup: Lookup, capture: str,
                              decorator: str) -> None:
        self.report(fn, end_node=lookup.node, message=f"{fn.name} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) without tying them to `{capture}`, the URL value its access check "
                    f"(@{decorator}) is about: a user allowed on one {capture.removesuffix('_id')} reaches another's "
                    f"{last_part(lookup.model)} rows by changing the id.",
                    fix=f"Filter the lookup by `{capture}` too (`{capture.removesuffix('_id')}_id={capture}`), so the "
                    "row must belong to what the check allowed.")

    def _what(self, lookup: Lookup) -> str:
        return f"{last_part(lookup.model)} rows by {', '.join(lookup.keys)} from the request"

    def _report_other_object(self, fn: ast.AST, lookup: Lookup, checked: tuple[str, int, str | None]) -> None:
        name, line, _ = checked
        # From the handler's def (where a reader looks for its access control) to the lookup.
        self.report(fn, end_node=lookup.node, message=f"{getattr(fn, 'name', '')} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) with nothing tying them to "
                    f"the requesting user: it checks access to `{name}` (line {line}), not to these rows, so a user "
                    f"allowed on one {name} can reach another's {last_part(lookup.model)} records by changing the id.",
                    fix=f"Fetch the rows through `{name}` (a filter on it) or check them as `{name}` is checked.")

    def _report_own_rows_elsewhere(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, lookup: Lookup,
                                   where: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        model = last_part(lookup.model)
        elsewhere = "elsewhere in the same function" if where is fn else f"in {where.name} (line {where.lineno})"
        self.report(fn, end_node=lookup.node, message=f"{fn.name} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) from all {model} rows, while the same view reads only the requesting "
                    f"user's own {model} rows {elsewhere}: the page offers the user's rows, but a caller who sends "
                    f"another id acts on someone else's {model}.",
                    fix=f"Fetch it through the same restriction (the user's own {model} rows), or check the fetched "
                    "row's owner before using it.")

    def _report_scoped_elsewhere(self, fn: ast.AST, lookup: Lookup, view: str, code: ProjectCode) -> None:
        where = code.lookup(view)
        site = f" ({where.path}:{where.line})" if where is not None else ""
        model = last_part(lookup.model)
        self.report(fn, end_node=lookup.node, message=f"{getattr(fn, 'name', '')} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) with a login only and nothing tying them to the requesting user, while "
                    f"{last_part(view)}.get_queryset(){site} shows each user only their own {model} rows: a caller "
                    f"reaches another user's {model} by sending its id.",
                    fix=f"Fetch it from the rows the requesting user may see, as {last_part(view)} does, or check the "
                    "fetched row's owner before using it.")

    def _report_against_peers(self, fn: ast.AST, lookup: Lookup, peer: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.report(fn, end_node=lookup.node, message=f"{getattr(fn, 'name', '')} fetches {self._what(lookup)} (line "
                    f"{lookup.node.lineno}) with nothing tying them to "
                    f"the requesting user, while {peer.name} (line {peer.lineno}) restricts "
                    f"{last_part(lookup.model)} to the requesting user: a caller can reach another user's "
                    f"{last_part(lookup.model)} rows by sending their id.",
                    fix="Restrict the lookup to the requesting user (a filter on the owner), as "
                    f"{peer.name} does, or check the fetched row's owner.")


def _uses_own_queryset(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`self.get_object()`, `self.get_queryset()`, `self.filter_queryset(...)`, or the base handler
    (`super().destroy(...)`, which looks the row up through them): the rows pass the view's restriction."""
    for n in walk(fn):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            continue
        receiver, name = n.func.value, n.func.attr
        if isinstance(receiver, ast.Name) and receiver.id == "self" and name in _OWN_QUERYSET:
            return True
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super" \
                and name in _OWN_QUERYSET | _DETAIL_HANDLERS:
            return True
    return False


_OWN_QUERYSET = frozenset({"get_object", "get_queryset", "filter_queryset"})
_DETAIL_HANDLERS = frozenset({"retrieve", "update", "partial_update", "destroy"})
# The methods of a view that answer requests: HTTP handlers and DRF actions (get_queryset() and
# get_permissions() read the request but answer none).
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete"})
_REQUEST_METHODS = _HTTP_METHODS | {"list", "create"} | _DETAIL_HANDLERS


def _reads_only(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A handler of safe requests only: `get`, `list`, `retrieve`, or an `@action` for GET (DRF's default)."""
    if fn.name in ("get", "head", "list", "retrieve"):
        return True
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and last_part(dotted(d.func) or "") == "action":
            methods = next((k.value for k in d.keywords if k.arg == "methods"), None)
            return methods is None or (isinstance(methods, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and str(e.value).upper() in ("GET", "HEAD", "OPTIONS")
                for e in methods.elts))
    return False


_ANON_READS = frozenset({"AllowAny", "IsAuthenticatedOrReadOnly", "DjangoModelPermissionsOrAnonReadOnly"})


def _open_to_anonymous(owner: ast.ClassDef, view: View) -> bool:
    """The view lets anonymous callers read, and its own get_queryset() gives them rows on purpose (`if not
    user.is_authenticated:` then a queryset, not `.none()`): the per-user scope is no boundary for reads, so a read
    past it crosses none."""
    if not any(last_part(p) in _ANON_READS for p in view.perm_classes):
        return False
    own = next((m for m in owner.body if isinstance(m, ast.FunctionDef) and m.name == "get_queryset"), None)
    for n in walk(own) if own is not None else ():
        if not isinstance(n, ast.If):
            continue
        test = n.test
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        attr = test.operand if isinstance(test, ast.UnaryOp) and negated else test
        if isinstance(attr, ast.Attribute) and attr.attr in ("is_authenticated", "is_anonymous"):
            anonymous = n.body if negated == (attr.attr == "is_authenticated") else n.orelse
            return bool(anonymous) and not any(
                isinstance(x, ast.Raise) or (isinstance(x, ast.Attribute) and x.attr == "none")
                for st in anonymous for x in walk(st))
    return False


def _answers_requests(fn: ast.FunctionDef | ast.AsyncFunctionDef, viewset: bool) -> bool:
    """A router sends a viewset's requests to its actions (`destroy`), never to a method named `delete`."""
    names = _REQUEST_METHODS - _HTTP_METHODS if viewset else _REQUEST_METHODS
    return fn.name in names or is_extra_action(fn)


# What identifies the caller on a request besides the user: the credential it sent.
_CREDENTIALS = ("self.request.headers", "self.request.META", "self.request.auth", "self.request.COOKIES")


def _keeps_callers_rows(fn: ast.FunctionDef) -> bool:
    """get_queryset() keeps the requesting user's rows, or the rows of the credential the caller sent
    (`key = APIKey.objects.get(key=self.request.headers["X-API-KEY"])`, then `filter(api_key=key)`)."""
    if looks_up_by_user(fn):
        return True
    caller: set[str] = set()
    for _ in range(2):
        for n in walk(fn):
            if isinstance(n, ast.Assign) and any((dotted(x) or "").startswith(_CREDENTIALS) or mentions_user(x, caller)
                                                 for x in walk(n.value) if isinstance(x, (ast.Attribute, ast.Name))):
                caller.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return bool(caller) and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("filter", "get")
        and any(mentions_user(k.value, caller) for k in n.keywords) for n in walk(fn))


def _filters_through(lookup: Lookup, model: str) -> bool:
    """The lookup reaches `model`'s rows by the client's id through a relation path (`Call.objects.filter(
    ambulancecall__ambulance_id=pk)`: the calls of whichever ambulance the client names)."""
    name = last_part(model).lower()
    return any(k.arg is not None and k.arg in lookup.keys and "__" in k.arg
               and ({name, f"{name}_id"} & set(k.arg.split("__"))) for k in lookup.node.keywords)


def _by_client_alone(lookup: Lookup) -> bool:
    """Every condition of the lookup is a value the client sent: nothing else (`facility=facility`, fetched through
    the user) narrows the rows."""
    return all(k.arg in lookup.keys for k in lookup.node.keywords if k.arg is not None)


def _same_role(view: str, other: str, code: ProjectCode) -> bool:
    """The permission classes `view` declares are all among those `other` declares: the same role admits the caller
    to both (a doctor of any patient passes both)."""
    mine, theirs = code.attr(view, "perm_classes"), code.attr(other, "perm_classes")
    return isinstance(mine, list) and isinstance(theirs, list) and set(mine) <= set(theirs)


def _kwargs_reads(cls: ast.ClassDef) -> dict[str, set[str]]:
    """The URL captures each method of a class view reads through `self.kwargs`, itself or through a helper
    method of the class (`self.get_mole_pk()` returning `self.kwargs["mole_pk"]`) - methods that look rows up."""
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for m in cls.body:
        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
            direct[m.name] = {r[1] for n in walk(m) for r in [key_read(n)] if r is not None
                              and dotted(r[0]) == "self.kwargs"}
            calls[m.name] = {n.func.attr for n in walk(m) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                             and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"}
    reads = {name: set(keys) for name, keys in direct.items()}
    for _ in range(2):
        for name, called in calls.items():
            for c in called & reads.keys():
                reads[name] |= reads[c]
    # a method that only hands a capture back (`get_mole_pk`) picks no rows itself
    return {name: keys for name, keys in reads.items() if keys and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in LOOKUPS | {"all"}
        for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == name
        for n in walk(m))}


def _capture_field(capture: str) -> str:
    """`patient_pk` -> `patient`: the relation a parent capture names."""
    for suffix in ("_external_id", "_pk", "_id", "_uuid", "_guid", "_slug"):
        if capture.endswith(suffix):
            return capture.removesuffix(suffix)
    return capture


def _path_to(models: ModelIndex, model: str, field_name: str, depth: int = 3) -> bool:
    """`model` reaches a relation named `field_name` within `depth` links (`MoleImage.mole.patient`)."""
    frontier, seen = [model], {model}
    for _ in range(depth):
        nxt = []
        for q in frontier:
            info = models.models.get(q)
            for f in (info.fields.values() if info is not None else []):
                if f.target and f.name == field_name:
                    return True
                t = models.lookup(f.target) if f.target else None
                if t is not None and t.qualname not in seen:
                    seen.add(t.qualname)
                    nxt.append(t.qualname)
        frontier = nxt
    return False


def _by_checked_capture(lookup: Lookup, captures: dict[str, str]) -> bool:
    """The lookup picks its row by a URL value the view's access decorator checks (`pk=epilepsy12_user_id` under a
    decorator reading `kwargs["epilepsy12_user_id"]`): the check is about that very row."""
    return any(k.arg in lookup.keys and any(isinstance(n, ast.Name) and n.id in captures for n in walk(k.value))
               for k in lookup.node.keywords)


def _untied_capture(fn: ast.FunctionDef | ast.AsyncFunctionDef, lookup: Lookup, captures: dict[str, str],
                    models: ModelIndex) -> str | None:
    """A checked capture (`study_id`) naming a relation of the looked-up model (`Participant.study`) that the lookup
    neither filters on (`study=`, `study_id=`) nor reads, directly or through a row already tied to it
    (`participant = get_object_or_404(Participant, patient_id=pid, study_id=study_id)`, then `participant.id`).
    A value the access check itself reads (`survey_id`, which the decorator matches to the study) ties it too."""
    tied = set(captures)
    bound = bindings(fn)  # assignments, loop targets (`for site in case.site.all()`), `with ... as`
    for _ in range(3):
        for target, value in bound:
            if target not in tied and (any(isinstance(n, ast.Name) and n.id in tied for n in walk(value)) or any(
                    _ties(c, captures, tied) for c in walk(value) if isinstance(c, ast.Call))):
                tied.add(target)
    if any(_ties(c, captures, tied) for c in walk(lookup.node) if isinstance(c, ast.Call)):  # the chain's filters too
        return None
    params = {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs)}
    for capture in sorted(captures.keys() & params):  # what the URL passes the view
        f = models.find_field(lookup.model, capture.removesuffix("_id"))
        if f is not None and f.target:
            return capture
    return None


def _ties(call: ast.Call, captures: dict[str, str], tied: set[str]) -> bool:
    """The call filters on a checked relation (`study=`, `study_id=`, `study__pk=`) or reads a tied name."""
    relations = {c.removesuffix("_id") for c in captures} | set(captures)
    return any((k.arg or "").split("__")[0] in relations or any(
        isinstance(n, ast.Name) and n.id in tied for n in walk(k.value)) for k in call.keywords) or any(
        isinstance(n, ast.Name) and n.id in tied for a in call.args for n in walk(a))
