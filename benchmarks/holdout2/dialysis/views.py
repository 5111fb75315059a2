import logging

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.generic import TemplateView, UpdateView
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from core.mixins import ClinicalModelViewSet, NurseRequiredMixin
from core.permissions import IsCareTeamMember

from .models import DialysisSession, HeparinProtocol, Station
from .serializers import DialysisSessionSerializer, HeparinProtocolSerializer, StationSerializer

logger = logging.getLogger(__name__)


# ok: permission
class ChairBoardView(TemplateView):
    """Today's chair board for the nurses' station (staff session enforced by LoginRequiredMiddleware)."""

    template_name = "dialysis/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sessions = DialysisSession.objects.today().select_related("patient", "station")
        context["sessions"] = sessions
        # ok: phi
        logger.info("Chair board rendered with %d sessions", len(sessions))
        return context


# ok: permission
class SessionStartView(NurseRequiredMixin, UpdateView):
    model = DialysisSession
    fields = ["station", "pre_weight_kg", "uf_goal_ml", "blood_flow_rate_ml_min"]
    template_name = "dialysis/session_start.html"
    success_url = reverse_lazy("dialysis:board")

    def form_valid(self, form):
        form.instance.status = DialysisSession.Status.IN_PROGRESS
        form.instance.started_at = timezone.now()
        form.instance.nurse = self.request.user
        return super().form_valid(form)


# expect: permission
class SessionUpdateView(LoginRequiredMixin, UpdateView):
    model = DialysisSession
    fields = ["post_weight_kg", "ended_at", "status", "nursing_notes"]
    template_name = "dialysis/session_end.html"
    success_url = reverse_lazy("dialysis:board")


# ok: permission
class StationViewSet(viewsets.ReadOnlyModelViewSet):
    """Machine availability for the waiting-room display; no patient data."""

    queryset = Station.objects.order_by("code")
    serializer_class = StationSerializer
    permission_classes = [AllowAny]


# expect: permission
class DialysisSessionViewSet(ClinicalModelViewSet):
    queryset = DialysisSession.objects.select_related("patient", "station")
    serializer_class = DialysisSessionSerializer


# ok: permission
class HeparinProtocolViewSet(ClinicalModelViewSet):
    serializer_class = HeparinProtocolSerializer
    permission_classes = [IsCareTeamMember]

    def get_queryset(self):
        return HeparinProtocol.objects.filter(patient__care_team__members=self.request.user)

    def perform_create(self, serializer):
        serializer.save(reviewed_by=self.request.user, reviewed_on=timezone.localdate())
