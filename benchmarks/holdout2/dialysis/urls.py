from django.urls import path

from . import views

app_name = "dialysis"

urlpatterns = [
    path("board/", views.ChairBoardView.as_view(), name="board"),
    path("sessions/<int:pk>/start/", views.SessionStartView.as_view(), name="session-start"),
    path("sessions/<int:pk>/end/", views.SessionUpdateView.as_view(), name="session-end"),
]
