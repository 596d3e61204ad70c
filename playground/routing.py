"""WebSocket routes of every capability, gathered in one list for asgi.py."""

from __future__ import annotations

from django.urls import path

from playground.jobs.consumers import GenerationConsumer

websocket_urlpatterns: list = [
    path("ws/generations/<uuid:code>/", GenerationConsumer.as_asgi()),
]
