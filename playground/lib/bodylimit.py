"""Request body limits per route, enforced before the body is read.

Django's ASGI handler spools the whole body to a temporary file before any view runs, and
daphne (through Twisted) has already spooled it once more before the app is even called.
A limit in a view comes too late: a 300 MB POST to /healthz was read in full. Two guards
share one table of limits (`limit_for`):

- `BodyLimitMiddleware`, around the ASGI app: 413 at once when Content-Length says too
  much, and 413 as soon as a streamed (chunked) body goes over; the app never sees the
  extra bytes. This is what any ASGI server gets.
- `guard_daphne_request_bodies()`: the same check inside daphne, as the headers and then
  the body arrive over the socket, so nothing over the limit is stored at all.

The production reverse proxy should refuse big bodies first (README: Production).
"""

from __future__ import annotations

import json
import math
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
# A multipart body carries boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
# After refusing a body daphne keeps reading (and dropping) what is still on its way this
# long before it closes: a client that is still sending would otherwise get a connection
# reset instead of the answer.
LINGER_SECONDS = 5.0


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    fal_style: bool = False  # the emulator answers as fal does: {"detail": ...}

    def refusal(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """Headers and JSON body of the 413 answer."""
        message = f"This request is too large: the limit here is {_size(self.max_bytes)}."
        body = json.dumps({"detail" if self.fal_style else "error": message}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        return headers, body


def _size(n: int) -> str:
    if n >= MB:
        return f"{math.floor(n / MB * 10) / 10:g} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"


def limit_for(path: str) -> BodyLimit:
    """The limit of the route `path` (a decoded path, without query string): file upload
    routes take files, the fal webhook carries outputs, everything else gets Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE, the most a form or JSON body may hold anyway."""
    from playground.catalog.views.uploads import MAX_UPLOAD_BYTES
    from playground.jobs.webhooks import MAX_BODY_BYTES as WEBHOOK_BYTES

    emulator_upload = settings.LOCALFAL_MAX_UPLOAD_BYTES
    routes = (
        ("/localfal/cdn/upload/", emulator_upload),
        ("/localfal/cdn/multipart/", emulator_upload),
        ("/localfal/cdn/files/upload", emulator_upload),
        ("/uploads/", MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD),
        ("/webhooks/fal", WEBHOOK_BYTES),
        ("/api/fal/proxy", settings.GATEWAY_MAX_BODY_BYTES),
        ("/gateway/", settings.GATEWAY_MAX_BODY_BYTES),
    )
    fal_style = path.startswith(("/localfal/", "/api/fal/", "/gateway/"))
    for prefix, max_bytes in routes:
        if path.startswith(prefix):
            return BodyLimit(max_bytes, fal_style)
    return BodyLimit(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, fal_style)


class BodyLimitMiddleware:
    """ASGI middleware for HTTP: refuses bodies over the route's limit with 413 JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _refuse(send, limit)
            return
        guard = _Guard(receive, send, limit.max_bytes)
        await self.app(scope, guard.receive, guard.send)
        if guard.over and not guard.started:
            await _refuse(send, limit)


class _Guard:
    """Counts body bytes on their way in; past the limit the app hears that the client
    left (Django then drops the request without answering), so it never gets them."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive, self._send, self.max_bytes = receive, send, max_bytes
        self.seen = 0
        self.over = False
        self.started = False

    async def receive(self) -> Message:
        if self.over:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.max_bytes:
                self.over = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(send: Send, limit: BodyLimit) -> None:
    headers, body = limit.refusal()
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def guard_daphne_request_bodies() -> None:
    """Make daphne build its requests from `limited_request_class()`.

    daphne hands the request to the app only once Twisted has received (and stored) the
    whole body, so only a check inside daphne can stop a big body early. Harmless when
    another server runs the app: daphne is installed either way.
    """
    from daphne import http_protocol

    if not getattr(http_protocol.WebRequest, "limits_bodies", False):
        http_protocol.WebRequest = limited_request_class(http_protocol.WebRequest)


def limited_request_class(base: type) -> type:
    """daphne's request with the body limit checked as headers and body arrive."""

    class LimitedWebRequest(base):
        limits_bodies = True
        body_limit: BodyLimit | None = None
        body_seen = 0
        refused = False

        def gotLength(self, length: int | None) -> None:
            # Twisted keeps the request line on the channel until the body is in.
            target = getattr(self.channel, "_path", b"") or b""
            self.body_limit = limit_for(_path_of(target))
            if length is not None and length > self.body_limit.max_bytes:
                self._refuse_body()
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            if self.refused:
                return
            self.body_seen += len(data)
            if self.body_limit and self.body_seen > self.body_limit.max_bytes:
                self._refuse_body()
                return
            super().handleContentChunk(data)

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
            if not self.refused:  # else the end of a body already answered
                super().requestReceived(command, path, version)

        def _refuse_body(self) -> None:
            from twisted.internet import reactor

            self.refused = True
            self.content = None
            self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" after the 413
            headers, body = (self.body_limit or BodyLimit(0)).refusal()
            head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            transport = self.channel.transport
            transport.write(b"HTTP/1.1 413 Content Too Large\r\n" + head + b"\r\n" + body)
            # Half-close: the client reads the answer and stops sending; what it sent
            # meanwhile is read and dropped above, then the connection goes.
            if hasattr(transport, "loseWriteConnection"):
                transport.loseWriteConnection()
            reactor.callLater(LINGER_SECONDS, self.channel.loseConnection)

    return LimitedWebRequest


def _path_of(target: bytes) -> str:
    path = target.split(b"?", 1)[0]
    if path.startswith(b"http://") or path.startswith(b"https://"):  # absolute-form
        path = b"/" + path.split(b"/", 3)[-1] if path.count(b"/") >= 3 else b"/"
    return urllib.parse.unquote(path.decode("latin-1"))
