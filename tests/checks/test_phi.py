"""Tricky cases for the PHI rules: FK hops, properties on patient models, non-patient models."""
from __future__ import annotations

from checks.base import Invalid, Valid
from checks.domain.phi_in_log import PhiInLog
from checks.domain.phi_sent_to_third_party import PhiSentToThirdParty
from checks.testing import run_example

MODELS = ("ehr/models.py", """\
    from django.db import models

    class Person(models.Model):
        given_name = models.CharField(max_length=50)
        family_name = models.CharField(max_length=50)
        nhs_number = models.CharField(max_length=10)

        @property
        def display(self):
            return f'{self.given_name} {self.family_name}'

    class Ward(models.Model):
        name = models.CharField(max_length=50)

    class Admission(models.Model):
        person = models.ForeignKey(Person, on_delete=models.CASCADE)
        ward = models.ForeignKey(Ward, on_delete=models.CASCADE)
    """)


def test_fk_hop_and_non_patient_model() -> None:
    code = "import logging\nfrom .models import Admission\nlog = logging.getLogger(__name__)\n\ndef f(pk):\n" \
           "    adm = Admission.objects.select_related('ward').get(pk=pk)\n    log.info('ward %s', adm.ward.name)\n"
    assert run_example(PhiInLog, Valid(code, path="ehr/tasks.py", files=(MODELS,))) == []


def test_phi_property_via_loop_over_queryset() -> None:
    code = "from .models import Admission\n\ndef f():\n    for a in Admission.objects.filter(ward__name='A'):\n" \
           "        print(a.person.display)\n"
    found = run_example(PhiInLog, Invalid(code, line=5, path="ehr/tasks.py", files=(MODELS,)))
    assert [f.start_line for f in found] == [5]


def test_allowed_host_passes() -> None:
    from checks.vocabulary import Vocabulary

    code = "import requests\n\ndef f(patient):\n    requests.post('https://hie.partner.example/v1', json={'mrn': patient.mrn})\n"
    vocab = Vocabulary(third_party_hosts_allowed=["hie.partner.example"])
    assert run_example(PhiSentToThirdParty, Valid(code), vocab=vocab) == []
    assert len(run_example(PhiSentToThirdParty, Invalid(code, line=4))) == 1



def test_str_that_renders_phi_through_a_property() -> None:
    models = (MODELS[0], MODELS[1].replace("        @property", "        def __str__(self):\n"
                                           "            return self.display\n\n        @property"))
    code = "from .models import Admission\n\ndef f():\n" \
           "    for a in Admission.objects.all():\n        print(' '.join(['-', str(a.person)]))\n"
    found = run_example(PhiInLog, Invalid(code, line=5, path="ehr/tasks.py", files=(models,)))
    assert [f.start_line for f in found] == [5]


def test_django_1_request_dict_logged_item_by_item() -> None:
    """`request.REQUEST` (Django < 1.9: GET and POST merged) is the whole request body, like request.POST."""
    code = "import logging\n\ndef submit(request):\n    for key, value in request.REQUEST.items():\n" \
           "        logging.info('submit %s:%s' % (key, value))\n"
    assert [f.start_line for f in run_example(PhiInLog, Invalid(code, line=4, path="app/views.py", files=(MODELS,)))] == [4]
    assert run_example(PhiInLog, Valid(code.replace("request.REQUEST.items()", "[(\"method\", request.method)]"),
                                       path="app/views.py", files=(MODELS,))) == []
    # A project that keeps no patient records (a research portal's researchers, a CSP report) receives none either.
    assert run_example(PhiInLog, Valid(code, path="app/views.py")) == []


def test_a_name_that_spells_a_patient_model_is_taken_for_one_of_its_rows() -> None:
    """`message.participant`: `message` spells the Message model, whose `participant` is a Participant."""
    models = ("trial/models.py", """\
        from django.db import models

        class Participant(models.Model):
            display_name = models.CharField(max_length=30)
            birthdate = models.DateField()

            def __str__(self):
                return self.display_name.title()

        class Message(models.Model):
            participant = models.ForeignKey(Participant, on_delete=models.CASCADE)
            text = models.TextField()
        """)
    code = "def on_stop(message):\n    print('STOP messaging for {}'.format(message.participant))\n"
    assert [f.start_line for f in run_example(PhiInLog, Invalid(code, line=2, path="trial/actions.py",
                                                                files=(models,)))] == [2]
    other = "def on_stop(sms):\n    print('STOP messaging for {}'.format(sms))\n"  # spells no model: unknown type
    assert run_example(PhiInLog, Valid(other, path="trial/actions.py", files=(models,))) == []


def test_one_request_field_named_at_run_time_is_not_the_whole_body() -> None:
    """`request.data.get(key_arg)` and `request.POST[name]` read one field (a project key), not the request body."""
    code = ("import logging\nlog = logging.getLogger(__name__)\n\ndef check(request, key_arg):\n"
            "    key = request.data.get(key_arg, request.POST[key_arg])\n    log.warning('no access to %s', key)\n")
    assert run_example(PhiInLog, Valid(code, path="app/views.py", files=(MODELS,))) == []
    whole = code.replace("request.data.get(key_arg, request.POST[key_arg])", "request.data")
    assert [f.start_line for f in run_example(PhiInLog, Invalid(whole, line=5, path="app/views.py", files=(MODELS,)))] == [5]


def test_a_form_or_serializer_bound_to_the_request_body_holds_the_body() -> None:
    """`form = SubmitForm(request.POST)` then `form.data` / `form.cleaned_data`, or a serializer given
    `data=request.data`: logged whole, that is the request body; one non-identifying field of it is not."""
    code = ("import logging\n\ndef create(request):\n    form = SubmitForm(flatten(request.POST))\n"
            "    logging.debug('Data: %s' % form.data)\n")
    assert [f.start_line for f in run_example(PhiInLog, Invalid(code, line=5, path="app/views.py",
                                                                files=(MODELS,)))] == [5]
    serializer = code.replace("SubmitForm(flatten(request.POST))", "UploadSerializer(data=request.data)") \
        .replace("form.data", "form.validated_data")
    assert [f.start_line for f in run_example(PhiInLog, Invalid(serializer, line=5, path="app/views.py",
                                                                files=(MODELS,)))] == [5]
    one_field = code.replace("form.data", "form.cleaned_data['procedure']")
    assert run_example(PhiInLog, Valid(one_field, path="app/views.py", files=(MODELS,))) == []
    unbound = code.replace("SubmitForm(flatten(request.POST))", "SubmitForm(initial={'site': 1})")
    assert run_example(PhiInLog, Valid(unbound, path="app/views.py", files=(MODELS,))) == []


def test_the_login_forms_email_is_the_account_signing_in_not_a_patient() -> None:
    """A login throttle logs the e-mail typed into the login form: the account holder's, not a patient's. The same
    field read by a patient-registration view is a patient's; in a project with no patient model, nobody's PHI."""
    login = ("import logging\nlog = logging.getLogger(__name__)\n\ndef throttle(request):\n"
             "    email = request.POST.get('email')\n    password = request.POST.get('password')\n"
             "    log.debug('login attempt %s', email)\n")
    assert run_example(PhiInLog, Valid(login, path="accounts/utils.py", files=(MODELS,))) == []
    register = login.replace("    password = request.POST.get('password')\n", "")
    assert [f.start_line for f in run_example(PhiInLog, Invalid(register, line=6, path="ehr/views.py",
                                                                files=(MODELS,)))] == [6]
    assert run_example(PhiInLog, Valid(register, path="ehr/views.py")) == []


def test_opal_demographics_name_reached_through_the_patient_accessor() -> None:
    """OPAL: `patient.demographics()` is the patient's Demographics row, and OPAL's `Demographics.name` property
    renders first name and surname (declared in checks/library_models.toml); an equipment row's `name` stays a label."""
    models = ("app/models.py", (
        "from django.db import models\nfrom opal import models as omodels\n\n\n"
        "class Demographics(omodels.Demographics):\n    height = models.IntegerField(null=True)\n\n\n"
        "class Details(models.Model):\n    patient = models.ForeignKey(omodels.Patient, on_delete=models.CASCADE)\n"
        "    notes = models.TextField()\n\n\n"
        "class Device(models.Model):\n    name = models.CharField(max_length=50)\n"))
    code = ("from django.core.management.base import BaseCommand\nfrom app.models import Details, Device\n\n\n"
            "class Command(BaseCommand):\n    def handle(self, *a, **k):\n"
            "        for detail in Details.objects.all():\n"
            "            print(detail.patient.demographics().name)\n"
            "        for device in Device.objects.all():\n            print(device.name)\n")
    found = run_example(PhiInLog, Valid(code, path="app/management/commands/report.py", files=(models,)))
    assert [f.start_line for f in found] == [8]


def test_a_french_social_security_number_printed_by_a_command_is_phi() -> None:
    """`Person.nir` (France's NIR) identifies the insured person on its own, like an NHS number: a management command
    printing it for every person sends it to whatever collects the job's output."""
    person = ("person/models.py", ("from django.db import models\n\n\nclass Person(models.Model):\n"
                                   "    first_name = models.CharField(max_length=70)\n"
                                   "    nir = models.BigIntegerField()\n"))
    code = ("from django.core.management.base import BaseCommand\nfrom person.models import Person\n\n\n"
            "class Command(BaseCommand):\n    def handle(self, *args, **options):\n"
            "        for p in Person.objects.all():\n            print(f'{p.nir} duplicate')\n")
    [found] = run_example(PhiInLog, Valid(code, path="person/management/commands/dupes.py", files=(person,)))
    assert found.start_line == 8 and "nir" in found.message


def test_a_dict_the_function_makes_a_patient_row_of_is_the_patients_record() -> None:
    """An importer logs the feed's dict, then saves it as a Person: the log holds the record. A dict used only to
    look rows up, or saved as a ward, holds none."""
    code = ("import logging\nfrom .models import Person, Ward\nlog = logging.getLogger(__name__)\n\n"
            "def import_person(data):\n    log.debug(f'Updating person {data}')\n"
            "    Person.objects.update_or_create(nhs_number=data['nhs'], defaults=data)\n")
    found = run_example(PhiInLog, Invalid(code, line=6, path="ehr/feed.py", files=(MODELS,)))
    assert [f.start_line for f in found] == [6] and "the values of a Person row" in found[0].message
    nested = code.replace("defaults=data)", "defaults=data['person'])")
    assert [f.start_line for f in run_example(PhiInLog, Valid(nested, path="ehr/feed.py", files=(MODELS,)))] == [6]
    lookup = code.replace("Person.objects.update_or_create(nhs_number=data['nhs'], defaults=data)",
                          "Person.objects.filter(**data).count()")
    assert run_example(PhiInLog, Valid(lookup, path="ehr/feed.py", files=(MODELS,))) == []
    ward = code.replace("Person.objects.update_or_create(nhs_number=data['nhs'], defaults=data)",
                        "Ward.objects.create(**data)")
    assert run_example(PhiInLog, Valid(ward, path="ehr/feed.py", files=(MODELS,))) == []
    keys = code.replace("log.debug(f'Updating person {data}')", "log.debug(f'fields: {[k for k in data]}')")
    assert run_example(PhiInLog, Valid(keys, path="ehr/feed.py", files=(MODELS,))) == []  # its keys: field names
