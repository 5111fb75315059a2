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
