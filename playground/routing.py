"""WebSocket routes of every capability, gathered in one list for asgi.py."""

from __future__ import annotations

websocket_urlpatterns: list = []
