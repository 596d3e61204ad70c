"""Token callers of the gateway, answered ahead of Django's middleware (DESIGN.md "Gateway").

An app polling a request through the gateway should cost about what fal's own
`@fal-ai/server-proxy` costs. Django's request machinery (a dozen middleware, most of them
synchronous, so each a thread hop under ASGI) costs several milliseconds per call, and
none of it serves a token caller: no session, no cookie, no CSRF, no page. So calls to the
gateway's entrances that carry `Authorization` are answered here, by the same target
parser, engine and log as views.py; Django's own ASGIRequest still checks the host and
reads the URL. Calls without `Authorization` go on to Django for the browser session,
unless they carry no session cookie either: those get their 401 here, before any of their
body is read.
"""

from __future__ import annotations

import asyncio
import io
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections

from playground.gateway import callers, engine
from playground.gateway.addresses import ROUTE_PREFIXES
from playground.gateway.callers import Caller, Refused
from playground.gateway.models import Entrance
from playground.gateway.targets import Host, TargetRefused
from playground.gateway.views import target_of
from playground.lib.bodylimit import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

PROXY_PATH = "/api/fal/proxy"
# What Django's middleware adds to this site's answers, for answers sent from here: fal's
# answers are data, never a page (engine.SITE_POLICY_HEADERS are not taken from fal).
SAFETY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'; sandbox"),
)
NOT_GATEWAY = object()


class GatewayLane:
    """ASGI middleware: gateway calls with a token are served here, the rest by `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = entrance_of(scope["path"]) if scope["type"] == "http" else NOT_GATEWAY
        if route is NOT_GATEWAY:
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        if authorization is None:
            if _has_session_cookie(scope):
                await self.app(scope, receive, send)  # the browser session: Django's views
            else:
                await _send(send, receive, engine.refused(callers.anonymous()))
            return
        try:
            answer = await _answer(scope, receive, route, authorization)
        except Exception:
            log.exception("gateway call to %s failed", scope["path"])
            answer = engine.detail("The gateway failed to handle this call.", 500)
        if answer is not None:
            await _send(send, receive, answer)


def entrance_of(path: str) -> Host | object | None:
    """None for the proxy entrance, the fal host of a URL-replacement route, or
    NOT_GATEWAY."""
    if path == PROXY_PATH:
        return None
    for host, prefix in ROUTE_PREFIXES.items():
        if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
            return host
    return NOT_GATEWAY


async def _answer(
    scope: Scope, receive: Receive, route: Host | None, authorization: str
) -> engine.Answer | None:
    """fal's answer to the call, a refusal, or None when the caller left while sending."""
    request = ASGIRequest(scope, io.BytesIO())  # the body is read below, once admitted
    try:
        request.get_host()
        target = target_of(request, route)
        admission = await engine.admitted(request, target, _token_identity(authorization))
    except DisallowedHost:
        return engine.detail("This host name is not served here.", 400)
    except (TargetRefused, Refused) as refusal:
        return engine.refused(refusal)
    body = await _read_body(scope, receive, engine.body_cap(target))
    if body is None:
        return engine.too_large(target)
    if body is _LEFT:
        return None
    entrance = Entrance.PROXY if route is None else Entrance.GATEWAY
    return await engine.forward(
        request, target, admission, body, entrance=entrance, through_route=route is not None
    )


def _token_identity(authorization: str):
    def identify(*, memory_only: bool = False) -> Caller:
        if not memory_only:
            # In a thread that may use the database. Django's handler would have closed a
            # broken or aged connection at request_started; nothing else does it here.
            close_old_connections()
        return callers.token_caller(authorization, memory_only=memory_only)

    return identify


_LEFT = object()  # the caller left while sending its body


async def _read_body(scope: Scope, receive: Receive, cap: int) -> bytes | object | None:
    """The whole body; None when it is over `cap` (said or sent), _LEFT when the caller
    left. BodyLimitMiddleware around this app holds every route's overall limit."""
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _LEFT
        body += message.get("body", b"")
        if len(body) > cap:
            return None
        if not message.get("more_body", False):
            return bytes(body)


async def _send(send: Send, receive: Receive, answer: engine.Answer) -> None:
    names = {name.lower() for name, _ in answer.headers}
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
               for name, value in answer.headers]  # fmt: skip
    headers += [(name.encode(), value.encode()) for name, value in SAFETY_HEADERS
                if name not in names]  # fmt: skip
    if answer.stream is None:
        headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        return
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await _stream(send, receive, answer.stream)


async def _stream(send: Send, receive: Receive, chunks) -> None:
    """Send chunks as they come until they end or the caller leaves; leaving stops the
    upstream call at once (its generator is cancelled, which closes fal's answer)."""

    async def pump() -> None:
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def caller_left() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping, listening = asyncio.ensure_future(pump()), asyncio.ensure_future(caller_left())
    try:
        await asyncio.wait({pumping, listening}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, listening):
            task.cancel()
        await asyncio.gather(pumping, listening, return_exceptions=True)
    if pumping.done() and not pumping.cancelled() and pumping.exception() is not None:
        log.warning("gateway stream ended early: %r", pumping.exception())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _has_session_cookie(scope: Scope) -> bool:
    cookie = _header(scope, b"cookie") or ""
    return f"{settings.SESSION_COOKIE_NAME}=" in cookie
