"""Dose calculators used by the prescribing screens and the standing-order tasks.

All weights are kilograms (dry weight unless stated), haemoglobin in g/L, eGFR in mL/min/1.73m2.
"""
from decimal import ROUND_HALF_UP, Decimal

from .limits import cap_dose

HEPARIN_BOLUS_UNITS_PER_KG = Decimal("50")
EPOETIN_UNITS_PER_KG = Decimal("50")
VANCOMYCIN_LOADING_MG_PER_KG = Decimal("25")
MAX_IRON_SUCROSE_MG = Decimal("200")
IRON_STORES_MG = Decimal("500")


def _round(value: Decimal, step: str = "1") -> Decimal:
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


# expect: dosage
def heparin_bolus_units(weight_kg: Decimal) -> Decimal:
    return _round(weight_kg * HEPARIN_BOLUS_UNITS_PER_KG, "100")


# ok: dosage
def epoetin_dose_units(drug, weight_kg: Decimal, haemoglobin_g_l: Decimal) -> Decimal:
    dose = weight_kg * EPOETIN_UNITS_PER_KG
    if haemoglobin_g_l > 115:
        dose *= Decimal("0.75")
    elif haemoglobin_g_l < 95:
        dose *= Decimal("1.25")
    return cap_dose(drug, _round(dose, "100"))


# ok: dosage
def iron_sucrose_dose_mg(weight_kg: Decimal, target_hb_g_l: Decimal, actual_hb_g_l: Decimal) -> Decimal:
    """Ganzoni total deficit, given in single doses of at most 200 mg."""
    deficit = weight_kg * (target_hb_g_l - actual_hb_g_l) * Decimal("0.24") + IRON_STORES_MG
    return min(_round(deficit), MAX_IRON_SUCROSE_MG)


# expect: dosage
def vancomycin_loading_dose_mg(weight_kg: Decimal) -> Decimal:
    return _round(weight_kg * VANCOMYCIN_LOADING_MG_PER_KG, "250")


# expect: dosage
def gentamicin_dose_mg(weight_kg: Decimal, egfr: Decimal) -> Decimal:
    """Post-dialysis gentamicin; lower mg/kg when there is little residual renal function."""
    mg_per_kg = Decimal("2") if egfr < 10 else Decimal("3")
    return _round(weight_kg * mg_per_kg, "10")


# ok: dosage
def renally_adjusted_dose(drug, dose: Decimal, egfr: Decimal) -> Decimal:
    if not drug.renally_cleared or egfr >= 50:
        factor = Decimal("1")
    elif egfr >= 15:
        factor = Decimal("0.5")
    else:
        factor = Decimal("0.25")
    return cap_dose(drug, _round(dose * factor, "0.1"))


# expect: dosage
def infusion_rate_ml_per_hr(dose_mg: Decimal, concentration_mg_per_ml: Decimal, duration_hr: Decimal) -> Decimal:
    return _round(dose_mg / concentration_mg_per_ml / duration_hr, "0.1")


# expect: dosage
def paediatric_dose(drug, weight_kg: Decimal) -> Decimal:
    band = drug.paediatric_bands.order_by("min_age_months").first()
    return min(_round(weight_kg * band.dose_per_kg, "0.1"), band.max_dose)


# ok: dosage
def paediatric_dose_for_patient(drug, patient, weight_kg: Decimal) -> Decimal:
    band = drug.paediatric_bands.get(min_age_months__lte=patient.age_months, max_age_months__gte=patient.age_months)
    dose = min(_round(weight_kg * band.dose_per_kg, "0.1"), band.max_dose)
    return cap_dose(drug, dose)


# ok: dosage
def format_dose(amount: Decimal, unit: str) -> str:
    return f"{amount.normalize():f} {unit}"
