from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from lab.api import LabOrderViewSet
from pharmacy import api as pharmacy_api

router = DefaultRouter()
router.register("mar", pharmacy_api.MARViewSet, basename="mar")
router.register("infusions", pharmacy_api.InfusionViewSet, basename="infusion")
router.register("lab-orders", LabOrderViewSet, basename="lab-order")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("wards/", include("wards.urls")),
    path("lab/", include("lab.urls")),
    path("api/", include(router.urls)),
    path("api/drugs/", pharmacy_api.DrugListView.as_view()),
    path("api/orders/", pharmacy_api.MedicationOrderListCreateView.as_view()),
    path("api/orders/<int:pk>/", pharmacy_api.MedicationOrderDetailView.as_view()),
    path("api/orders/<int:pk>/verify/", pharmacy_api.verify_order),
    path("api/beds/<int:bed_id>/orders/", pharmacy_api.bedside_orders),
    path("api/pharmacy/workload/", pharmacy_api.PharmacyWorkloadView.as_view()),
]
