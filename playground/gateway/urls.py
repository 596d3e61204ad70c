from __future__ import annotations

from django.urls import path

from playground.gateway import log_views, token_views, views
from playground.gateway.targets import Host

app_name = "gateway"

urlpatterns = [
    path("api/fal/proxy", views.proxy, name="proxy"),
    path("gateway/fal/<path:path>", views.route(Host.RUN), name="route-run"),
    path("gateway/fal-queue/<path:path>", views.route(Host.QUEUE), name="route-queue"),
    path("gateway/fal-rest/<path:path>", views.route(Host.REST), name="route-rest"),
    path("accounts/tokens/", token_views.tokens_page, name="tokens"),
    path("accounts/tokens/<int:token_id>/revoke", token_views.revoke, name="token-revoke"),
    path("gateway/requests/", log_views.request_log, name="log"),
    path("gateway/requests/<int:row_id>/", log_views.request_detail, name="log-detail"),
    path("api/gateway/requests", log_views.api_requests, name="api-requests"),
]
