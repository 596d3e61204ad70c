"""fal's hosts under one origin: run = fal.run, queue = queue.fal.run, rest = rest.fal.ai,
cdn = v3.fal.media (fal-protocol.md §1)."""

from __future__ import annotations

from django.urls import path

from playground.localfal import views

app_name = "localfal"
REQUEST = "queue/<path:app>/requests/<str:request_id>"

urlpatterns = [
    path(f"{REQUEST}/status/stream", views.queue_status_stream, name="status-stream"),
    path(f"{REQUEST}/status", views.queue_status, name="status"),
    path(f"{REQUEST}/cancel", views.queue_cancel, name="cancel"),
    path(REQUEST, views.queue_result, name="result"),
    path("queue/<path:endpoint_path>", views.queue_submit, name="submit"),
    path("run/<path:endpoint_path>", views.run, name="run"),
    path("rest/tokens/", views.rest_token, name="tokens"),
    path("rest/storage/upload/initiate", views.storage_initiate, name="upload-initiate"),
    path(
        "rest/storage/upload/initiate-multipart",
        views.storage_initiate,
        {"multipart": True},
        name="upload-initiate-multipart",
    ),
    path("rest/storage/auth/token", views.storage_auth_token, name="storage-token"),
    path("cdn/files/upload", views.cdn_upload_direct, name="cdn-upload"),
    path("cdn/upload/<str:token>", views.cdn_put, name="cdn-put"),
    path("cdn/multipart/<str:token>/complete", views.cdn_multipart_complete, name="cdn-complete"),
    path("cdn/multipart/<str:token>/<int:number>", views.cdn_multipart_part, name="cdn-part"),
    path("cdn/files/<str:key>/<str:name>", views.cdn_file, name="file"),
]
