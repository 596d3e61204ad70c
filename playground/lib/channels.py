"""Channels helpers shared by consumers, and the in-process channel layer."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

# A channel layer alias configured nowhere: a consumer that sets `channel_layer_alias` to it
# gets no layer (channels' get_channel_layer answers None), so it holds no Redis connection
# and no blocking receive. For sockets that never join a group.
NO_CHANNEL_LAYER = "none: this consumer joins no group"


class InProcessChannelLayer(InMemoryChannelLayer):
    """channels' in-memory layer (the default, one process), made cheap per message.

    The stock layer sweeps every channel and group for expired entries on each send and
    receive, and delivers a group message through one task per member. With hundreds of
    live panels that is most of the cost of a status event and several trips round the
    event loop before a socket sees it. Here a group message is queued for every member at
    once, and the sweep runs at most once a second (expiry is a minute: nothing is late).
    """

    SWEEP_EVERY_SECONDS = 1.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep >= self.SWEEP_EVERY_SECONDS:
            self._last_sweep = now
            super()._clean_expired()

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            try:
                await self.send(channel, message)  # never suspends: a put_nowait
            except ChannelFull:
                pass  # as the stock layer: a full channel misses this one


class _Denier(WebsocketDenier):
    """channels' denier without a channel layer. Its own subscribes a channel (in Redis, with
    REDIS_URL) for every refused socket and keeps it until the client goes away: a cost any
    stranger could multiply, and a Redis read that event loops ending under it wait on."""

    channel_layer_alias = NO_CHANNEL_LAYER


class _OriginValidator(OriginValidator):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            raise ValueError("OriginValidator is for WebSocket connections only")
        if self.valid_origin(_origin(scope)):
            return await self.application(scope, receive, send)
        return await _Denier()(scope, receive, send)


def _origin(scope: dict[str, Any]) -> Any:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            try:
                return urlparse(value.decode("latin1"))
            except UnicodeDecodeError:
                return None
    return None


def same_site_only(application: Any) -> _OriginValidator:
    """channels' AllowedHostsOriginValidator (Origin must be one of ALLOWED_HOSTS), whose
    refusals hold no channel layer subscription (`_Denier`)."""
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return _OriginValidator(application, allowed)
