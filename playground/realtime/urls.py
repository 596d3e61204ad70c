from __future__ import annotations

from django.urls import path

from playground.realtime import views

app_name = "realtime"

urlpatterns = [
    # No trailing slash, like the model page's other suffixes (run, recent, payload): an
    # endpoint id may itself end in "realtime" and its model page in "realtime/".
    path("models/<path:endpoint_id>/realtime", views.realtime_page, name="page"),
]
