"""Inpatient dose calculations (pharmacy-verified).

Doses are Decimal mg (or units for heparin).  Anything shown to a prescriber
must go through ``limit_to_formulary`` or an explicit ceiling.
"""
import logging as log
import math
from decimal import ROUND_HALF_UP, Decimal

from .models import Drug

_log = log.getLogger("riverside.pharmacy.dosing")

Q2 = Decimal("0.01")
GENTAMICIN_MAX_MG = Decimal("560")
PARACETAMOL_MAX_SINGLE_MG = Decimal("1000")
VANCOMYCIN_MAX_MAINTENANCE_MG = Decimal("2000")


class DosingError(ValueError):
    pass


def _q(value):
    return Decimal(value).quantize(Q2, rounding=ROUND_HALF_UP)


def limit_to_formulary(drug: Drug, dose_mg: Decimal) -> Decimal:
    """Cap ``dose_mg`` at the formulary's maximum single dose for ``drug``."""
    if dose_mg <= 0:
        raise DosingError("dose must be positive")
    if dose_mg > drug.max_single_dose_mg:
        _log.warning("capping %s from %s mg to %s mg", drug.name, dose_mg, drug.max_single_dose_mg)
        return drug.max_single_dose_mg
    return dose_mg


# ok: dosage
def gentamicin_once_daily_mg(weight_kg: Decimal) -> Decimal:
    return _q(min(weight_kg * 7, GENTAMICIN_MAX_MG))


# ok: dosage
def paracetamol_iv_mg(weight_kg: Decimal, age_years: int) -> Decimal:
    per_kg = Decimal("15") if (weight_kg < 50 or age_years < 12) else Decimal("20")
    dose = weight_kg * per_kg
    if dose > PARACETAMOL_MAX_SINGLE_MG:
        dose = PARACETAMOL_MAX_SINGLE_MG
    return _q(dose)


def vancomycin_maintenance_mg(weight_kg: Decimal, crcl_ml_min: Decimal) -> Decimal:
    per_kg = Decimal("15") if crcl_ml_min >= 50 else Decimal("10")
    dose = weight_kg * per_kg
    if dose > VANCOMYCIN_MAX_MAINTENANCE_MG:
        raise DosingError("vancomycin maintenance dose above 2 g: refer to pharmacy")
    return _q(dose)


# expect: dosage
def heparin_bolus_units(weight_kg: Decimal) -> Decimal:
    return _q(weight_kg * 80)


# expect: dosage
def morphine_infusion_mg_per_hr(weight_kg: Decimal, mcg_per_kg_per_hr: Decimal = Decimal("20")) -> Decimal:
    return _q(weight_kg * mcg_per_kg_per_hr / 1000)


# expect: dosage
def carboplatin_dose_mg(target_auc: Decimal, gfr_ml_min: Decimal) -> Decimal:
    return _q(target_auc * (gfr_ml_min + 25))


# expect: dosage
def enoxaparin_treatment_mg(weight_kg: Decimal, crcl_ml_min: Decimal) -> Decimal:
    dose = weight_kg * Decimal("1.0")
    if crcl_ml_min < 30:
        dose = dose / 2
    return _q(dose)


# expect: dosage
def paediatric_weight_dose_mg(drug: Drug, weight_kg: Decimal) -> Decimal:
    if drug.paediatric_mg_per_kg is None:
        raise DosingError(f"{drug.name} has no paediatric mg/kg dosing")
    return limit_to_formulary(drug, _q(weight_kg * drug.paediatric_mg_per_kg))


# ok: dosage
def paediatric_dose_mg(drug: Drug, weight_kg: Decimal, age_months: int) -> Decimal:
    if drug.paediatric_mg_per_kg is None:
        raise DosingError(f"{drug.name} has no paediatric mg/kg dosing")
    if age_months < drug.min_age_months:
        raise DosingError(f"{drug.name} is not licensed under {drug.min_age_months} months")
    return limit_to_formulary(drug, _q(weight_kg * drug.paediatric_mg_per_kg))


# ok: dosage
def bsa_mosteller_m2(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    return _q(math.sqrt(float(height_cm) * float(weight_kg) / 3600))


# ok: dosage
def cockcroft_gault_ml_min(age_years: int, weight_kg: Decimal, creatinine_umol_l: Decimal, female: bool) -> Decimal:
    crcl = Decimal(140 - age_years) * weight_kg * Decimal("1.23") / creatinine_umol_l
    return _q(crcl * Decimal("0.85") if female else crcl)


def ideal_body_weight_kg(height_cm: Decimal, female: bool) -> Decimal:
    base = Decimal("45.5") if female else Decimal("50")
    return _q(base + Decimal("0.9") * (height_cm - 152))


# ok: dosage
def bsa_dose_mg(drug: Drug, dose_per_m2_mg: Decimal, height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    bsa = min(bsa_mosteller_m2(height_cm, weight_kg), Decimal("2.0"))
    return limit_to_formulary(drug, _q(dose_per_m2_mg * bsa))


def infusion_rate_ml_hr(drug: Drug, dose_mg_per_hr: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    if concentration_mg_per_ml <= 0:
        raise DosingError("concentration must be positive")
    return _q(limit_to_formulary(drug, dose_mg_per_hr) / concentration_mg_per_ml)
