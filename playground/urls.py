from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("playground.core.urls")),
    path("accounts/", include("playground.accounts.urls")),
    path("sso/saml/", include("playground.sso.saml.urls")),
    path("sso/", include("playground.sso.urls")),
    # Before teams/ and models/: gallery pages live under both prefixes.
    path("", include("playground.gallery.urls")),
    path("teams/", include("playground.accounts.team_urls")),
    path("", include("playground.activity.urls")),
    path("", include("playground.jobs.urls")),
    path("", include("playground.experiments.urls")),
    path("", include("playground.realtime.urls")),
    path("", include("playground.gateway.urls")),
    path("", include("playground.usage.urls")),
    path("limits/", include("playground.limits.urls")),
    path("", include("playground.catalog.urls")),
    path("admin/", admin.site.urls),
]

# A refusal is a message in the page (htmx) or our own page, never a bare "403 Forbidden".
handler403 = "playground.lib.refusals.permission_denied"

if settings.LOCALFAL_ENABLED:
    urlpatterns.append(path("localfal/", include("playground.localfal.urls")))
