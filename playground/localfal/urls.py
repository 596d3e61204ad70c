"""fal's hosts under one origin: run = fal.run, queue = queue.fal.run, rest = rest.fal.ai,
cdn = v3.fal.media (fal-protocol.md §1)."""

from __future__ import annotations

from django.urls import path

from playground.localfal.views import keys, queue, run, storage

app_name = "localfal"
REQUEST = "queue/<path:app>/requests/<str:request_id>"

urlpatterns = [
    path("_emulator/requests", queue.emulator_requests, name="emulator-requests"),
    path(f"{REQUEST}/status/stream", queue.status_stream, name="status-stream"),
    path(f"{REQUEST}/status", queue.status, name="status"),
    path(f"{REQUEST}/cancel", queue.cancel, name="cancel"),
    path(REQUEST, queue.result, name="result"),
    path("queue/<path:endpoint_path>", queue.submit, name="submit"),
    path("run/<path:endpoint_path>", run.run, name="run"),
    path("rest/tokens/", storage.realtime_token, name="tokens"),
    path("rest/.well-known/jwks.json", keys.jwks, name="jwks"),
    path("rest/storage/upload/initiate", storage.initiate, name="upload-initiate"),
    path(
        "rest/storage/upload/initiate-multipart",
        storage.initiate,
        {"multipart": True},
        name="upload-initiate-multipart",
    ),
    path("rest/storage/auth/token", storage.cdn_token, name="storage-token"),
    path("cdn/files/upload", storage.cdn_upload, name="cdn-upload"),
    path("cdn/upload/<str:token>", storage.upload_target, name="cdn-put"),
    path("cdn/multipart/<str:token>/complete", storage.multipart_complete, name="cdn-complete"),
    path("cdn/multipart/<str:token>/<int:number>", storage.multipart_part, name="cdn-part"),
    path("cdn/files/<str:key>/<str:name>", storage.served_file, name="file"),
]
