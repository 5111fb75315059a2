from rest_framework.routers import SimpleRouter

from .api import LabTestViewSet

app_name = "lab"

router = SimpleRouter()
router.register("tests", LabTestViewSet, basename="lab-test")
urlpatterns = router.urls
