"""URLconf of `manage.py localfal`: only the emulator (and a health check)."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import include, path

urlpatterns = [
    path("localfal/", include("playground.localfal.urls")),
    path("healthz", lambda request: JsonResponse({"status": "ok", "service": "localfal"})),
]
