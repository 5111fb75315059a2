"""Tricky cases for the dosage rules: limit helpers and safety checks found across modules."""
from __future__ import annotations

from checks.base import Invalid, Valid
from checks.domain.order_without_safety_check import OrderWithoutSafetyCheck
from checks.domain.unbounded_dose_calculation import UnboundedDoseCalculation
from checks.testing import run_example

MODELS = ("pharmacy/models.py", """\
    from django.db import models

    class MedicationRequest(models.Model):
        dose_mg = models.IntegerField()
    """)
SAFETY = ("pharmacy/screening.py", "def screen_allergies(patient, drug):\n    pass\n")


def test_limit_helper_in_another_module_with_alias() -> None:
    helper = ("pharmacy/limits.py", """\
        def clamp_to_formulary(drug, mg):
            if mg > drug.max_mg:
                return drug.max_mg
            return mg
        """)
    code = "from .limits import clamp_to_formulary as clamp\n\ndef gentamicin_dose_mg(drug, weight_kg):\n" \
           "    return clamp(drug, weight_kg * 7)\n"
    assert run_example(UnboundedDoseCalculation, Valid(code, path="pharmacy/dosing.py", files=(helper,))) == []


def test_configured_limit_helper_is_not_enough_when_not_called() -> None:
    code = "def heparin_infusion_rate(weight_kg, units_per_kg):\n    return weight_kg * units_per_kg\n"
    assert len(run_example(UnboundedDoseCalculation, Invalid(code, line=1))) == 1


def test_order_via_service_two_levels_deep_is_safe() -> None:
    service = ("pharmacy/service.py", """\
        from .screening import screen_allergies
        from .models import MedicationRequest

        def _screen(p, d):
            screen_allergies(p, d)

        def place(p, d):
            _screen(p, d)
            return MedicationRequest.objects.create(dose_mg=1)
        """)
    code = "from .service import place\n\nclass OrderView:\n    def post(self, request):\n        return place(1, 2)\n"
    assert run_example(OrderWithoutSafetyCheck, Valid(code, path="pharmacy/views.py",
                                                      files=(MODELS, SAFETY, service))) == []


def test_medication_request_save_without_screening() -> None:
    code = "from .models import MedicationRequest\n\ndef reorder(prev):\n    mr = MedicationRequest(dose_mg=prev.dose_mg)\n" \
           "    mr.save()\n"
    found = run_example(OrderWithoutSafetyCheck, Invalid(code, line=3, path="pharmacy/orders.py", files=(MODELS, SAFETY)))
    assert [f.start_line for f in found] == [3]


RX = ("pharmacy/models.py", ("from django.db import models\n\nclass RxBase(models.Model):\n"
      "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)\n\n    class Meta:\n        abstract = True\n\n"
      "class Prescription(RxBase):\n    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)\n"))
VALIDATE = ("pharmacy/api.py", ("from rest_framework import serializers\nfrom .models import Prescription\n\n"
            "class RxSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Prescription\n"
            "        fields = '__all__'\n\n    def validate(self, attrs):\n        dose = attrs.get('dose_mg')\n"
            "        if dose is not None and dose > attrs['drug'].max_single_dose_mg:\n"
            "            raise serializers.ValidationError('dose above the formulary maximum')\n"
            "        if not 0.3 <= attrs['weight_kg'] <= 400:\n            raise serializers.ValidationError('weight')\n"
            "        return attrs\n"))


def _dose_fields(*files: tuple[str, str]) -> list[str]:
    from checks.domain.unbounded_dose_field import UnboundedDoseField

    return [f.message.split("`")[1] for f in run_example(UnboundedDoseField, Valid(RX[1], path=RX[0], files=files))]


def test_limits_in_a_serializer_validate_against_the_formulary() -> None:
    assert _dose_fields() == ["RxBase.dose_mg", "Prescription.weight_kg"]  # no limit anywhere
    assert _dose_fields(VALIDATE) == []
    # The counter-case: the same validate() that only reads the values turns nothing away.
    no_raise = (VALIDATE[0], VALIDATE[1].replace("raise serializers.ValidationError", "print"))
    assert _dose_fields(no_raise) == ["RxBase.dose_mg", "Prescription.weight_kg"]


def test_limit_in_the_model_clean_of_a_subclass_does_not_cap_the_base() -> None:
    clean = RX[1] + "\n    def clean(self):\n        if self.dose_mg > 1000:\n            raise ValueError('dose')\n"
    from checks.domain.unbounded_dose_field import UnboundedDoseField

    # RxBase's field is checked in Prescription.clean() only: RxBase may have other subclasses.
    assert [f.start_line for f in run_example(UnboundedDoseField, Valid(clean, path=RX[0]))] == [4, 10]
    base_clean = RX[1].replace("    class Meta:\n        abstract = True\n",
                               "    class Meta:\n        abstract = True\n\n    def clean(self):\n"
                               "        if self.dose_mg > 1000:\n            raise ValueError('dose')\n")
    assert [f.start_line for f in run_example(UnboundedDoseField, Valid(base_clean, path=RX[0]))] == [14]


def test_a_field_class_from_a_package_or_the_project_is_judged_as_the_django_field_it_extends() -> None:
    from checks.domain.unbounded_dose_field import UnboundedDoseField

    def messages(field_import: str, *files: tuple[str, str]) -> list[str]:
        code = (f"from django.db import models\n{field_import}\n\nclass Medication(models.Model):\n"
                "    dosage_mass = MeasurementField(measurement=Mass, null=True)\n")
        return [f.message for f in run_example(UnboundedDoseField, Valid(code, path="onc/models.py", files=files))]

    # django-measurement's field stores a float (declared in checks/library_models.toml).
    assert messages("from django_measurement.models import MeasurementField") == [
        "Dose field `Medication.dosage_mass` is a MeasurementField, stored as a FloatField (binary floating point)."]
    # A project subclass of a bounded Decimal field class without validators: no Min/Max on the dose.
    project = ("onc/fields.py", ("from django.db import models\n\nclass Grams(models.DecimalField):\n    pass\n\n"
               "class MeasurementField(Grams):\n    pass\n"))
    assert messages("from onc.fields import MeasurementField", project) == [
        "Dose field `Medication.dosage_mass` has no MinValueValidator/MaxValueValidator."]
    # A field class wardgate cannot follow to Django is not judged (its storage is unknown).
    assert messages("from somewhere_else import MeasurementField") == []


def test_an_amount_per_period_is_a_dose_and_a_count_per_period_is_a_frequency() -> None:
    from checks.domain.unbounded_dose_field import _is_dose_field

    for name in ("quantityPerDay", "quantity_per_month", "daily_qty", "tablets_per_dose", "units_per_day"):
        assert _is_dose_field(name), name
    for name in ("times_per_day", "doses_per_day", "days_supply", "quantity", "refills_per_month"):
        assert not _is_dose_field(name), name
