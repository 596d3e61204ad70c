from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("oidc/", include("playground.sso.oidc.urls")),
]
