from __future__ import annotations

from django.urls import path

from playground.experiments import views

app_name = "experiments"

urlpatterns = [
    path("experiments/", views.index, name="index"),
    path("experiments/<uuid:code>/", views.grid, name="grid"),
    path("experiments/<uuid:code>/pause", views.pause, name="pause"),
    path("experiments/<uuid:code>/resume", views.resume, name="resume"),
    path("experiments/<uuid:code>/cancel", views.cancel, name="cancel"),
    path("experiments/<uuid:code>/visibility", views.visibility, name="visibility"),
    path("experiments/<uuid:code>/rerun", views.rerun, name="rerun"),
    path("experiments/<uuid:code>/export.zip", views.export_zip, name="export"),
    path("experiments/s/<str:token>/", views.shared, name="shared"),
    # Before the catalog's `models/<path:endpoint_id>/`, which would swallow the suffix.
    path("models/<path:endpoint_id>/experiment", views.new, name="new"),
]
