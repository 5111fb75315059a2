"""Outbound integrations: patient SMS, pharmacy Slack alerts, analytics, formulary sync, e-prescription signing."""
import base64

import httpx
import requests
import structlog
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from .models import Drug, MedicationOrder

logger = structlog.get_logger("riverside.pharmacy.integrations")

# Pulls the trust formulary YAML from the medicines-management GitHub repo.
# expect: secret
FORMULARY_REPO_TOKEN = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
FORMULARY_URL = "https://api.github.com/repos/riverside-nhs/formulary/contents/formulary.yaml"

# expect: secret
PHARMACY_SLACK_TOKEN = "xoxb-507529170342-3667127684268-rTAwR4y9ojfljoQoaF1Llqsa"
PHARMACY_SLACK_CHANNEL = "#pharmacy-oncall"

# Signs outbound electronic prescriptions sent to community pharmacies.
# expect: secret
EPS_SIGNING_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake
FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE
fakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfa00
-----END RSA PRIVATE KEY-----
"""


def sync_formulary():
    resp = requests.get(FORMULARY_URL, headers={"Authorization": f"Bearer {FORMULARY_REPO_TOKEN}", "Accept": "application/vnd.github.raw"}, timeout=30)
    resp.raise_for_status()
    return resp.text


def sign_prescription(payload: bytes) -> str:
    key = serialization.load_pem_private_key(EPS_SIGNING_KEY.encode(), password=None)
    return base64.b64encode(key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode()


def notify_ready_for_collection(order: MedicationOrder):
    patient = order.patient
    # expect: phi
    httpx.post(settings.SMS_GATEWAY_URL, json={"to": patient.phone, "body": f"Hello {patient.full_name}, your {order.drug.name} is ready to collect from Riverside outpatient pharmacy."}, headers={"X-Api-Key": settings.SMS_GATEWAY_API_KEY}, timeout=10)
    logger.info("collection_sms_sent", order_id=order.pk, drug=order.drug.name)


def alert_high_alert_dispensing(order: MedicationOrder):
    """Tell the on-call pharmacist that a high-alert drug order needs verification."""
    if not order.drug.is_high_alert:
        return
    # ok: phi
    requests.post("https://slack.com/api/chat.postMessage", headers={"Authorization": f"Bearer {PHARMACY_SLACK_TOKEN}"}, json={"channel": PHARMACY_SLACK_CHANNEL, "text": f"High-alert order #{order.pk}: {order.drug.name} on {order.admission.ward.name}"}, timeout=10)


def push_daily_metrics():
    today = timezone.localdate()
    by_drug = list(MedicationOrder.objects.filter(created_at__date=today).values("drug__name").annotate(n=Count("id")))
    # ok: phi
    requests.post(settings.ANALYTICS_INGEST_URL, json={"date": today.isoformat(), "orders_by_drug": by_drug, "formulary_size": Drug.objects.count()}, timeout=15)
