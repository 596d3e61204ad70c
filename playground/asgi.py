"""ASGI entry point: HTTP goes to Django, WebSockets through auth + origin checks."""

from __future__ import annotations

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
# Django must be set up before anything imports models (the routing modules do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from playground.gateway.lane import GatewayLane  # noqa: E402
from playground.jobs.embedded import EmbeddedRunnerMiddleware  # noqa: E402
from playground.lib.bodylimit import BodyLimitMiddleware, guard_daphne_request_bodies  # noqa: E402
from playground.lib.channels import same_site_only  # noqa: E402
from playground.lib.memory import freeze_startup_objects  # noqa: E402
from playground.routing import (  # noqa: E402
    emulator_websocket_urlpatterns,
    gateway_websocket_urlpatterns,
    websocket_urlpatterns,
)


def _teach_daphne_reason_phrases() -> None:
    """Daphne takes reason phrases from Twisted's table, which lacks 422, 429 and 499, so
    clients would read "Unknown Status" (fal-js shows it as the error message)."""
    from http import HTTPStatus

    from twisted.web import http

    for status in HTTPStatus:
        http.RESPONSES.setdefault(status.value, status.phrase.encode())
    http.RESPONSES.setdefault(499, b"Client Closed Request")


_teach_daphne_reason_phrases()
# Bodies over a route's limit are refused as they arrive, not after being stored.
guard_daphne_request_bodies()
# The event loop shares the GIL with database and render threads. Each time it makes a
# system call it lets go of the GIL and then waits up to the switch interval (5 ms by
# default) to get it back, so a busy thread adds milliseconds to every socket write.
sys.setswitchinterval(0.0005)

application = EmbeddedRunnerMiddleware(
    ProtocolTypeRouter(
        {
            # Token callers of the gateway are answered ahead of Django (gateway/lane.py).
            "http": BodyLimitMiddleware(GatewayLane(django_asgi_app)),
            # The emulator's realtime endpoint answers fal's clients, which are not
            # browsers and send no Origin: it checks its own token. Everything else is
            # for browsers: same-origin only, with the session's user.
            "websocket": URLRouter(
                [
                    *emulator_websocket_urlpatterns,
                    *gateway_websocket_urlpatterns,  # token or same-origin session
                    re_path(
                        r"",
                        same_site_only(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
                    ),
                ]
            ),
        }
    )
)
# Loaded once and kept for good: out of the garbage collector's sight (see memory.py).
freeze_startup_objects()
