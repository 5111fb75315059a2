from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings

from wards.models import Patient


# ok: secret
@override_settings(SMS_GATEWAY_API_KEY="dummy-key-for-tests", STRIPE_SECRET_KEY="sk_test_dummy")
class LabApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        # ok: secret
        cls.user = get_user_model().objects.create_user("nurse.test", password="test-password-123")
        cls.patient = Patient.objects.create(mrn="T0000001", nhs_number="9999999999", full_name="Test Patient", date_of_birth="1970-01-01", sex="X")

    def test_lab_orders_listing(self):
        self.client.force_login(self.user)
        response = self.client.get("/api/lab-orders/")
        self.assertEqual(response.status_code, 200)
