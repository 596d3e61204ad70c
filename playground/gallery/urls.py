from __future__ import annotations

from django.urls import path

from playground.gallery.views import browse, compare, generation, presets, share

app_name = "gallery"

urlpatterns = [
    path("gallery/", browse.index, name="index"),
    path("gallery/compare/", compare.compare, name="compare"),
    path("gallery/bulk", browse.bulk, name="bulk"),
    path("teams/<slug:slug>/gallery/", browse.team, name="team"),
    path("teams/<slug:slug>/gallery/showcase", share.publish_showcase, name="publish_showcase"),
    path("showcase/<slug:slug>/", share.showcase, name="showcase"),
    path("s/<str:token>/", share.shared, name="share"),
    path("s/<str:token>/files/<str:name>", share.shared_file, name="share_file"),
    path("generations/<uuid:code>/favorite", generation.favorite, name="favorite"),
    path("generations/<uuid:code>/notes", generation.notes, name="notes"),
    path("generations/<uuid:code>/visibility", generation.visibility, name="visibility"),
    path("generations/<uuid:code>/team", generation.move, name="move"),
    path("generations/<uuid:code>/showcase", generation.showcase, name="showcase_toggle"),
    path("generations/<uuid:code>/delete", generation.delete, name="delete"),
    path("generations/<uuid:code>/restore", generation.restore, name="restore"),
    path("generations/<uuid:code>/rerun", generation.rerun, name="rerun"),
    path("generations/<uuid:code>/metadata.json", generation.metadata, name="metadata"),
    path("presets/", presets.presets, name="presets"),
    path("presets/<int:pk>/delete", presets.delete, name="preset_delete"),
]
