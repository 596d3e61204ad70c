"""WebSocket routes of every capability, gathered in one list for asgi.py."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from playground.experiments.live import ExperimentConsumer
from playground.gateway.realtime import relay_application
from playground.jobs.consumers import GenerationConsumer
from playground.jobs.live import RunsConsumer
from playground.realtime.consumers import RealtimeConsumer

websocket_urlpatterns: list = [
    path("ws/generations/<uuid:code>/", GenerationConsumer.as_asgi()),
    path("ws/runs/", RunsConsumer.as_asgi()),
    path("ws/experiments/<uuid:code>/", ExperimentConsumer.as_asgi()),
    path("ws/realtime/<path:endpoint_id>/", RealtimeConsumer.as_asgi()),
]

# The emulator's realtime endpoint (= wss://fal.run/{owner}/{alias}/realtime), apart: asgi.py
# serves it outside the browser Origin check, since fal's clients are not browsers and send
# no Origin header; the endpoint checks its own token.
emulator_websocket_urlpatterns: list = []
if settings.LOCALFAL_ENABLED:
    from playground.localfal.consumers import RealtimeAppConsumer

    emulator_websocket_urlpatterns.append(
        path("localfal/run/<path:app>/realtime", RealtimeAppConsumer.as_asgi())
    )

# The gateway's realtime relay (= wss://fal.run/{app}/realtime through this server), apart
# too: apps calling with a personal access token are not browsers and send no Origin. Calls
# with no token go through the same Origin check and session as the routes above.
gateway_websocket_urlpatterns: list = [
    path("gateway/fal/<path:app>/realtime", relay_application()),
]
