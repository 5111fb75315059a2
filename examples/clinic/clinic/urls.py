from django.urls import path

from . import views

urlpatterns = [
    path("patients/lookup/", views.patient_lookup, name="patient-lookup"),
    path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("patients/by-nhs-number/<str:nhs_number>/", views.patient_detail, name="patient-by-nhs"),
    path("patients/<int:pk>/prescriptions/stop/", views.stop_all_prescriptions, name="stop-prescriptions"),
    path("census/", views.ward_census, name="census"),
]
