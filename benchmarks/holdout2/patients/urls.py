from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.PatientListView.as_view(), name="list"),
    # ok: phi
    path("<int:pk>/", views.PatientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PatientUpdateView.as_view(), name="edit"),
    path("<int:pk>/discharge/", views.discharge_patient, name="discharge"),
    path("<int:patient_pk>/access/new/", views.record_vascular_access, name="access-new"),
    path("allergies/<int:pk>/delete/", views.AllergyDeleteView.as_view(), name="allergy-delete"),
    path("notes/<int:pk>/edit/", views.ClinicalNoteUpdateView.as_view(), name="note-edit"),
    # expect: phi
    path("by-nhs/<str:nhs_number>/", views.patient_by_nhs_number, name="by-nhs"),
]
