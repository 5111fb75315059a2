"""Outbound integrations: trust laboratory system, on-call paging, discharge-letter drafting, HL7 feed signing."""
import logging
import os

import httpx
import requests
import sentry_sdk
import structlog
from django.conf import settings
from django.utils import timezone

from patients.models import ClinicalNote, LabResult

logger = logging.getLogger(__name__)
log = structlog.get_logger("renalcare.integrations")

# expect: secret
SLACK_BOT_TOKEN = "xoxb-2847561930-4829105736251-FAKEfakeFAKEfakeFAKEfake"
# expect: secret
ANTHROPIC_API_KEY = "sk-ant-api03-FAKEfakeFAKEfakegjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA_2O76UMFxFkM_R5Kjp1vRt-1fjORS_6ilI8ihNFAKEAA"
# ok: secret
SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY", "<your-api-key>")
# ok: secret
LIS_TOKEN_TTL_SECONDS = 3600

# expect: secret
HL7_SIGNING_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAzFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE
FAKEFAKEFAKEFAKEz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8
iS2G8NPRVdD53X83FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE
-----END RSA PRIVATE KEY-----"""


class LabClient:
    """Pulls results from the trust's own laboratory information system (internal network)."""

    def __init__(self, base_url=None):
        self.base_url = base_url or settings.LAB_BASE_URL

    def fetch_results(self, patient, since):
        try:
            # expect: secret
            # ok: phi
            response = httpx.get(f"{self.base_url}/results", params={"mrn": patient.mrn, "since": since.isoformat()}, auth=("renalcare-svc", "Lis-Sync-2024!"), timeout=15)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            # expect: phi
            sentry_sdk.capture_message(f"LIS fetch failed for NHS {patient.nhs_number}: {exc}")
            return []
        results = []
        for item in response.json()["results"]:
            result, _ = LabResult.objects.update_or_create(
                patient=patient,
                test_code=item["code"],
                collected_at=item["collected_at"],
                defaults={"value": item["value"], "unit": item["unit"], "abnormal_flag": item.get("flag", "")},
            )
            results.append(result)
        # ok: phi
        log.info("lis_results_synced", patient_id=patient.pk, count=len(results))
        return results


def page_on_call(text: str) -> None:
    response = requests.post(
        "https://slack.com/api/chat.postMessage",
        headers={"Authorization": f"Bearer {SLACK_BOT_TOKEN}"},
        json={"channel": settings.ON_CALL_SLACK_CHANNEL, "text": text},
        timeout=5,
    )
    if not response.ok:
        logger.error("Slack paging failed with HTTP %s", response.status_code)


def alert_critical_potassium(result: LabResult) -> None:
    if result.test_code != "K" or result.value < 6:
        return
    # expect: phi
    page_on_call(f"Critical K+ {result.value} mmol/L for {result.patient.full_name} (MRN {result.patient.mrn}) - review before next session")


def alert_critical_potassium_by_id(result: LabResult) -> None:
    # ok: phi
    page_on_call(f"Critical K+ result {result.pk} on the unit; open RenalCare to review.")


def draft_discharge_letter(patient) -> str:
    notes = ClinicalNote.objects.filter(patient=patient, is_draft=False).order_by("created_at")
    history = "\n\n".join(note.body for note in notes)
    prompt = f"Write a discharge letter to the GP for {patient.full_name}, born {patient.date_of_birth:%d/%m/%Y}, NHS number {patient.nhs_number}.\n\nClinical notes:\n{history}"
    payload = {"model": "claude-sonnet-4-5", "max_tokens": 2000, "messages": [{"role": "user", "content": prompt}]}
    # expect: phi
    response = httpx.post("https://api.anthropic.com/v1/messages", headers={"x-api-key": ANTHROPIC_API_KEY, "anthropic-version": "2023-06-01"}, json=payload, timeout=60)
    response.raise_for_status()
    logger.info("Drafted discharge letter for patient %s at %s", patient.pk, timezone.now().isoformat())
    return response.json()["content"][0]["text"]
