from __future__ import annotations

from django.urls import path

from playground.jobs import runs_page, views, webhooks

app_name = "jobs"

urlpatterns = [
    path("runs/", runs_page.runs, name="runs"),
    path("runs/<uuid:code>/row", runs_page.row, name="run_row"),
    path("generations/<uuid:code>/", views.detail, name="detail"),
    path("generations/<uuid:code>/cancel", views.cancel, name="cancel"),
    # MEDIA_URL is "media/": stored outputs are served here, behind the access check.
    path("media/generations/<uuid:code>/<str:name>", views.asset_file, name="asset"),
    path("models/<path:endpoint_id>/run", views.run, name="run"),
    path("models/<path:endpoint_id>/recent", views.recent, name="recent"),
    path("webhooks/fal", webhooks.fal_webhook, name="webhook"),
]
