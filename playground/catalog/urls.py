from __future__ import annotations

from django.urls import path

from playground.catalog.views import add, browse, model, sendto, uploads

app_name = "catalog"

urlpatterns = [
    path("models/", browse.catalog, name="browse"),
    # Before `<path:endpoint_id>/`: no endpoint id is a single word like "add".
    path("models/add/", add.add_endpoint, name="add"),
    # Endpoint ids contain slashes: the fixed suffixes come first so `<path:>` backtracks.
    path("models/<path:endpoint_id>/payload", model.payload, name="payload"),
    path("models/<path:endpoint_id>/", model.model_page, name="model"),
    path("uploads/", uploads.upload, name="upload"),
    path("send-to/", sendto.send_to_menu, name="send_to"),
]
