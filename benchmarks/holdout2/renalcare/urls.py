from django.contrib import admin
from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from dialysis.views import DialysisSessionViewSet, HeparinProtocolViewSet, StationViewSet
from patients import views as patient_views
from patients.api import ClinicalNoteViewSet, LabResultViewSet, PatientViewSet, TransportBookingViewSet, VascularAccessViewSet
from pharmacy import api as pharmacy_api

router = DefaultRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("lab-results", LabResultViewSet, basename="lab-result")
router.register("vascular-access", VascularAccessViewSet, basename="vascular-access")
router.register("notes", ClinicalNoteViewSet, basename="note")
router.register("transport", TransportBookingViewSet, basename="transport")
router.register("sessions", DialysisSessionViewSet, basename="session")
router.register("heparin", HeparinProtocolViewSet, basename="heparin")
router.register("stations", StationViewSet, basename="station")
router.register("drugs", pharmacy_api.DrugViewSet, basename="drug")
router.register("prescriptions", pharmacy_api.PrescriptionViewSet, basename="prescription")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("dialysis/", include("dialysis.urls")),
    path("kiosk/checkin/", patient_views.kiosk_checkin, name="kiosk-checkin"),
    path("healthz", patient_views.healthz, name="healthz"),
    path("api/token/", obtain_auth_token),
    path("api/prescriptions/<int:pk>/dose/", pharmacy_api.change_dose, name="prescription-dose"),
    path("api/prescriptions/<int:pk>/administer/", pharmacy_api.administer, name="prescription-administer"),
    path("api/", include(router.urls)),
]
