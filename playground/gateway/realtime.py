"""The gateway's realtime entrance: a WebSocket relay at `/gateway/fal/<app>/realtime`.

Replace `wss://fal.run` with `wss://<this host>/gateway/fal` in a fal realtime URL (and
drop `fal_jwt_token`): the app never holds a fal token or key. The server mints a
short-lived fal realtime token with the caller's resolved key (team > personal > server,
or the emulator's), opens fal's socket (or the emulator's) and relays frames both ways as
they are (msgpack binary, JSON text), each at most `MAX_FRAME_BYTES`. One row of the
request log per session.

Who may connect:
- servers: `Authorization: Key <access token>` (or `Bearer`) on the handshake;
- browsers, which cannot set WebSocket headers: the token as a subprotocol, next to
  `playground-gateway`, which the server selects: `new WebSocket(url,
  ["playground-gateway", token])`. Unlike a `?token=` query, it stays out of URLs (and so
  out of proxies' access logs);
- Playground's own pages: the signed-in session, same origin only (the Origin check of
  every browser WebSocket route, asgi.py).

Refusals arrive as an `x-fal-error` text frame saying why, then a close code: 4401 (no,
unknown, expired or revoked token; no session), 4403 (not a fal realtime app path, no fal
key, fal refused the key), 4400 (malformed path), 4413 (a frame over the limit), 4502/4504
(fal unreachable, or not answering). A session without a token from another origin (or
none) is refused at the handshake (HTTP 403). When either side closes, so does the other.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from playground.accounts.credentials import NoFalKey
from playground.fal.config import client_from_settings
from playground.fal.endpoints import EndpointId, InvalidEndpointId
from playground.fal.errors import FalAuthError, FalError, FalHTTPError, FalTimeoutError
from playground.fal.realtime import open_socket, realtime_url
from playground.gateway import requestlog, targets, tokens
from playground.gateway.callers import Caller
from playground.gateway.engine import fal_key_for
from playground.gateway.models import Entrance
from playground.gateway.targets import Host, Kind, Target, TargetRefused
from playground.lib.channels import NO_CHANNEL_LAYER, same_site_only
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import quota_for
from playground.localfal.auth import credential
from playground.realtime.frames import MAX_FRAME_BYTES
from playground.realtime.relay import safe_text
from playground.usage.rollup import update_logged

ROUTE_PREFIX = "/gateway/fal"
SUBPROTOCOL = "playground-gateway"
MAX_BUFFERING = 60  # fal's own `max_buffering` query, passed on within these bounds
OPEN_TIMEOUT = 10.0
NOT_REALTIME = "Only fal realtime apps (owner/app[/path]/realtime) are relayed."
# A server may only send 1000 or 3000-4999 (autobahn, under daphne, refuses the rest).
UPSTREAM_CODES_PASSED = frozenset({1000, *range(3000, 5000)})


class Close:
    MALFORMED = 4400
    UNAUTHORIZED = 4401
    OVER_BUDGET = 4402
    FORBIDDEN = 4403
    TOO_BIG = 4413
    RATE_LIMITED = 4429
    UPSTREAM = 4502
    UPSTREAM_TIMEOUT = 4504


# The gateway's own refusals, as fal says its errors (`x-fal-error`), just before the close:
# daphne drops close reasons, and fal's clients already read these frames.
ERRORS = {
    Close.MALFORMED: "BAD_REQUEST",
    Close.UNAUTHORIZED: "UNAUTHORIZED",
    Close.OVER_BUDGET: "BUDGET_REACHED",
    Close.FORBIDDEN: "FORBIDDEN",
    Close.TOO_BIG: "FRAME_TOO_LARGE",
    Close.RATE_LIMITED: "RATE_LIMITED",
    Close.UPSTREAM: "UPSTREAM_UNAVAILABLE",
    Close.UPSTREAM_TIMEOUT: "UPSTREAM_TIMEOUT",
}


class Refused(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def relay_application():
    """The route's ASGI app: token callers straight to the consumer (they are not browsers
    and send no Origin); everyone else through the browser routes' Origin check and
    session, so another site cannot ride a signed-in person's cookie."""
    consumer = RealtimeRelayConsumer.as_asgi()
    browser = same_site_only(AuthMiddlewareStack(consumer))

    async def app(scope, receive, send):
        if _header(scope, b"authorization") or _offered_token(scope):
            return await consumer(scope, receive, send)
        return await browser(scope, receive, send)

    return app


def target_of(scope: dict[str, Any]) -> Target:
    """The fal realtime app the path names, through the HTTP routes' allow-list (the path
    as sent, escapes kept); TargetRefused unless it is a model path ending in /realtime."""
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1").partition("?")[0]
    if not path.startswith(f"{ROUTE_PREFIX}/"):
        raise TargetRefused("Malformed path.", 400)
    target = targets.parse(f"https://{Host.RUN}{path[len(ROUTE_PREFIX) :]}")
    if target.kind is not Kind.RUN or not target.path.endswith("/realtime"):
        raise TargetRefused(NOT_REALTIME, 403)
    try:  # the app id the token is minted for must be exactly the path relayed
        same = EndpointId.parse(target.endpoint_id).full == target.endpoint_id
    except InvalidEndpointId:
        same = False
    if not same:
        raise TargetRefused(NOT_REALTIME, 403)
    return replace(target, query="", kind=Kind.REALTIME)


def admit(scope: dict[str, Any]) -> tuple[Caller, str]:
    """The caller and the fal key to use for them, or Refused; the session counted once
    against the caller's rate limit. One thread hop."""
    header = _header(scope, b"authorization")
    secret = credential(header) if header else _offered_token(scope)
    if header or secret:
        token = tokens.holder_of(secret)
        if token is None:
            raise Refused("Unknown, expired or revoked access token.", Close.UNAUTHORIZED)
        caller = Caller(user_id=token.user_id, token=token)
    else:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            raise Refused("Sign in, or send a personal access token.", Close.UNAUTHORIZED)
        caller = Caller(user_id=user.pk)
    try:
        key, _ = fal_key_for(caller)
    except NoFalKey as exc:
        raise Refused(str(exc), Close.FORBIDDEN) from None
    try:
        check_budgets(caller.user_id, team_id=caller.team_id, token=caller.token)
        counter.hit(quota_for(caller.user_id, team_id=caller.team_id, token=caller.token))
    except OverBudget as over:
        raise Refused(str(over), Close.OVER_BUDGET) from None
    except counter.Limited as limited:
        raise Refused(str(limited), Close.RATE_LIMITED) from None
    return caller, key


@dataclass
class Traffic:
    frames: int = 0
    bytes_in: int = 0  # caller -> fal
    bytes_out: int = 0  # fal -> caller
    error: str = ""


class RealtimeRelayConsumer(AsyncWebsocketConsumer):
    """One caller's socket and one fal socket, frames passed on as they are. No queue of
    its own: a frame from the caller is handed to fal's socket (waiting while its buffer is
    full) before the next is read."""

    channel_layer_alias = NO_CHANNEL_LAYER
    upstream: ClientConnection | None = None
    pump: asyncio.Task | None = None
    row_id: int | None = None
    finishing: asyncio.Future | None = None

    async def connect(self) -> None:
        offered = SUBPROTOCOL in self.scope.get("subprotocols", [])
        await self.accept(SUBPROTOCOL if offered else None)
        self.traffic = Traffic()
        try:
            target = target_of(self.scope)
        except TargetRefused as refusal:
            code = Close.MALFORMED if refusal.status == 400 else Close.FORBIDDEN
            await self._refuse(code, str(refusal))
            return
        try:
            caller, key = await database_sync_to_async(admit)(self.scope)
        except Refused as refusal:
            await self._refuse(refusal.code, str(refusal))
            return
        await self._open(caller, key, target)

    async def _open(self, caller: Caller, key: str, target: Target) -> None:
        self.key = key
        self.fal_token = ""
        started = time.monotonic()
        status, code = 101, 0
        try:
            self.upstream = await self._connect_upstream(target)
        except FalError as failure:
            status, code = _failure(failure)
            self.traffic.error = safe_text(str(failure), key)
        self.row_id = await requestlog.record_call(
            caller,
            target,
            entrance=Entrance.REALTIME,
            method="GET",
            status=status,
            latency_ms=int((time.monotonic() - started) * 1000),
            bytes_in=0,
            error=self.traffic.error,
        )
        if self.upstream is None:
            await self._refuse(code, self.traffic.error)
            await self._finish()
            return
        self.pump = asyncio.create_task(self._pump(self.upstream))

    async def _connect_upstream(self, target: Target) -> ClientConnection:
        async with client_from_settings(key=self.key) as fal:
            self.fal_token = await fal.realtime_token(target.endpoint_id)
            url = realtime_url(
                fal.urls, target.endpoint_id, self.fal_token, max_buffering=self._buffering()
            )
        return await open_socket(url, open_timeout=OPEN_TIMEOUT, max_size=MAX_FRAME_BYTES)

    def _buffering(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            value = int((query.get("max_buffering") or [""])[0])
        except ValueError:
            return None
        return min(max(value, 1), MAX_BUFFERING)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.upstream is None or self.finishing is not None:
            return
        data: str | bytes = bytes_data if bytes_data is not None else (text_data or "")
        size = len(data) if isinstance(data, bytes) else len(data.encode())
        if size > MAX_FRAME_BYTES:
            self.traffic.error = f"A frame from the caller was over {MAX_FRAME_BYTES} bytes."
            await self._refuse(Close.TOO_BIG, self.traffic.error)
            await self._finish()
            return
        try:
            await self.upstream.send(data)  # waits while fal's socket buffer is full
        except ConnectionClosed:
            return  # the pump sees the end and closes the caller's side
        self.traffic.frames += 1
        self.traffic.bytes_in += size

    async def _pump(self, upstream: ClientConnection) -> None:
        """fal's frames to the caller, then fal's close passed on."""
        try:
            async for message in upstream:
                if isinstance(message, str):
                    message = self._scrubbed(message)
                    await self.send(text_data=message)
                    self.traffic.bytes_out += len(message.encode())
                else:
                    await self.send(bytes_data=message)
                    self.traffic.bytes_out += len(message)
                self.traffic.frames += 1
        except ConnectionClosed:
            pass
        code, reason = upstream.close_code, safe_text(upstream.close_reason or "", self.key)
        if code == 1009:
            self.traffic.error = f"fal sent a frame over {MAX_FRAME_BYTES} bytes."
            await self._refuse(Close.TOO_BIG, self.traffic.error)
            await self._finish()
            return
        elif code not in UPSTREAM_CODES_PASSED:
            self.traffic.error = self.traffic.error or f"fal's socket ended (code {code})."
            code = Close.UPSTREAM
        await self._close(code, reason)
        await self._finish()

    def _scrubbed(self, text: str) -> str:
        # fal never echoes the token or key; if it ever did, the caller must not see them.
        for secret in (self.fal_token, self.key):
            if secret and secret in text:
                text = text.replace(secret, "…")
        return text

    async def disconnect(self, code: int) -> None:
        await self._finish()

    async def _refuse(self, code: int, reason: str) -> None:
        """Close for the gateway's own reason, said first in an `x-fal-error` frame."""
        error = {"type": "x-fal-error", "error": ERRORS[code], "reason": reason}
        await self.send(text_data=json.dumps(error))
        await self._close(code, reason)

    async def _close(self, code: int, reason: str) -> None:
        await self.close(code=code, reason=reason.encode()[:120].decode(errors="ignore"))

    async def _finish(self) -> None:
        """Both sockets closed, the session's traffic on its row; once, whichever side
        ended first, and never cut short: the caller's disconnect waits for it."""
        if self.finishing is None:
            self.finishing = asyncio.ensure_future(self._wind_up(asyncio.current_task()))
        await asyncio.shield(self.finishing)

    async def _wind_up(self, ended_by: asyncio.Task | None) -> None:
        pump, self.pump = self.pump, None
        if pump is not None and pump is not ended_by:
            pump.cancel()
        upstream, self.upstream = self.upstream, None
        if upstream is not None:
            try:
                await asyncio.wait_for(upstream.close(), 2)
            except (TimeoutError, ConnectionClosed, OSError):
                pass
        if self.row_id is not None:
            traffic = self.traffic
            fields = {
                "follow_ups": traffic.frames,
                "bytes_in": traffic.bytes_in,
                "bytes_out": traffic.bytes_out,
                "error": traffic.error[:2000],
                "state": "FAILED" if traffic.error else "COMPLETED",
            }
            # An error met mid-session counts on the usage page too (usage/rollup.py).
            await database_sync_to_async(update_logged)({self.row_id: fields})


def _failure(failure: FalError) -> tuple[int, int]:
    """(the status to log, the close code) for fal failing to mint a token or connect."""
    if isinstance(failure, FalAuthError):
        return failure.status_code, Close.FORBIDDEN
    if isinstance(failure, FalTimeoutError):
        return 504, Close.UPSTREAM_TIMEOUT
    if isinstance(failure, FalHTTPError):
        return failure.status_code, Close.UPSTREAM
    return 502, Close.UPSTREAM


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _offered_token(scope: dict[str, Any]) -> str:
    for protocol in scope.get("subprotocols", []):
        if protocol.startswith(tokens.PREFIX):
            return protocol
    return ""
