from django.urls import path, re_path

from . import api, views

app_name = "wards"

urlpatterns = [
    path("", views.WardBoardView.as_view(), name="ward-board"),
    path("patients/", views.PatientListView.as_view(), name="patient-list"),
    # expect: phi
    path("patients/<str:mrn>/admit/", views.AdmitView.as_view(), name="admit-by-mrn"),
    # expect: phi
    re_path(r"^patients/(?P<nhs_number>\d{10})/summary/$", views.PatientListView.as_view(), name="patient-by-nhs-number"),
    # ok: phi
    path("admissions/<int:pk>/", views.AdmissionDetailView.as_view(), name="admission-detail"),
    path("admissions/<int:pk>/edit/", views.AdmissionUpdateView.as_view(), name="admission-edit"),
    path("admissions/<int:pk>/mine/", views.MyAdmissionUpdateView.as_view(), name="my-admission-edit"),
    path("admissions/<int:pk>/delete/", views.AdmissionDeleteView.as_view(), name="admission-delete"),
    path("admissions/<int:pk>/transfer/", views.TransferView.as_view(), name="admission-transfer"),
    path("admissions/<int:pk>/discharge/", views.DischargeView.as_view(), name="admission-discharge"),
    path("admissions/<int:pk>/discharge-summary/", views.DischargeSummaryCreateView.as_view(), name="discharge-summary"),
    path("admissions/<int:pk>/notes/new/", views.NursingNoteCreateView.as_view(), name="nursing-note"),
    path("admissions/<int:pk>/attending/", views.reassign_attending, name="reassign-attending"),
    path("admit/", views.AdmitView.as_view(), name="admit"),
    path("wards/<slug:code>/close/", views.close_ward, name="close-ward"),
    path("wards/<slug:ward_code>/purge/", views.purge_cancelled_admissions, name="purge"),
    path("api/patients/", api.PatientListView.as_view()),
    path("api/patients/search/", api.PatientSearchView.as_view()),
    path("api/my-admissions/", api.MyAdmissionsView.as_view()),
    path("api/wards/", api.WardListView.as_view()),
]
