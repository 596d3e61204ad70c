from __future__ import annotations

from django.urls import path

from playground.limits import views

app_name = "limits"

urlpatterns = [
    path("notices/<int:pk>/dismiss/", views.dismiss_notice, name="dismiss_notice"),
]
