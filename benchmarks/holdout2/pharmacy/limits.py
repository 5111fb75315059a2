"""Maximum-dose enforcement against the unit formulary (Drug.max_single_dose / max_daily_dose)."""
import logging
from decimal import Decimal

logger = logging.getLogger(__name__)

UNIT_ERROR_FACTOR = Decimal("2")


class DoseLimitExceeded(Exception):
    pass


def cap_dose(drug, dose: Decimal) -> Decimal:
    """Clamp a calculated dose to the formulary maximum; refuse outright when it looks like a unit error."""
    limit = drug.max_single_dose
    if dose > limit * UNIT_ERROR_FACTOR:
        # ok: phi
        raise DoseLimitExceeded(f"{drug.name}: calculated {dose} {drug.unit} is more than twice the maximum {limit}")
    if dose > limit:
        logger.warning("Capping %s dose %s to formulary maximum %s", drug.name, dose, limit)
    return min(dose, limit)


def check_daily_total(drug, doses_today: list[Decimal]) -> None:
    total = sum(doses_today, Decimal("0"))
    if total > drug.max_daily_dose:
        raise DoseLimitExceeded(f"{drug.name}: daily total {total} exceeds {drug.max_daily_dose}")
