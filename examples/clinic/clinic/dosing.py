from decimal import Decimal


class DoseError(ValueError):
    pass


def capped_weight_dose_mg(drug, weight_kg: Decimal) -> Decimal:
    """mg/kg dose limited to the formulary maximum."""
    if weight_kg <= 0:
        raise DoseError("weight must be positive")
    return min(weight_kg * drug.mg_per_kg, drug.max_single_dose_mg)


def gentamicin_dose_mg(weight_kg: Decimal) -> Decimal:
    """Once-daily gentamicin, 7 mg/kg."""
    return weight_kg * Decimal("7")


def triage_priority(age, heart_rate, systolic_bp, temperature_c, spo2, pain, conscious, pregnant):
    score = 0
    if age > 75:
        score += 1
    if heart_rate > 130 or heart_rate < 40:
        score += 3
    elif heart_rate > 110:
        score += 2
    if systolic_bp < 90:
        score += 3
    elif systolic_bp < 100:
        score += 2
    if temperature_c > 39 or temperature_c < 35:
        score += 2
    if spo2 < 92:
        score += 3
    elif spo2 < 95:
        score += 1
    if pain >= 8:
        score += 1
    if not conscious:
        score += 3
    if pregnant and systolic_bp > 160:
        score += 3
    return score
