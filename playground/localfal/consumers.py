"""The emulator's realtime WebSocket: `/localfal/run/{owner}/{alias}[/{path}]/realtime`.

As fal's server SDK does (fal-protocol.md §6): a JWT from `/rest/tokens/` in
`fal_jwt_token` (or `Authorization: Key …` on the handshake, the Python client's
`use_jwt=False`); binary msgpack inputs, buffered up to `max_buffering` (the oldest are
dropped); one msgpack result per input followed by an `x-fal-message` timing; on a bad
input an `x-fal-error` (INTERNAL_ERROR with the reason) and the socket closes; after
`LOCALFAL_REALTIME_IDLE_SECONDS` without input an `x-fal-error` TIMEOUT, then close.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import msgpack
from channels.generic.websocket import AsyncWebsocketConsumer

from playground.fal.endpoints import EndpointId, InvalidEndpointId
from playground.lib.channels import NO_CHANNEL_LAYER
from playground.localfal import auth, tokens
from playground.localfal.realtime import InvalidInput, RealtimeApp, answer, idle_seconds
from playground.localfal.views.common import endpoint_for

log = logging.getLogger(__name__)
# Pillow releases the GIL while it decodes, blends and encodes: a few threads keep several
# sessions busy without holding up the event loop.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="localfal-realtime")
MAX_BUFFERING = 60


async def find_app(path: str) -> RealtimeApp | None:
    """The endpoint a realtime URL names (`path` is the URL less its last `/realtime`).
    fal-js never doubles `/realtime`, the Python client always appends it: `…/klein/realtime`
    and `…/klein/realtime/realtime` both reach `fal-ai/flux-2/klein/realtime`."""
    path = path.strip("/")
    for candidate in (path, f"{path}/realtime"):
        try:
            endpoint_id = EndpointId.parse(candidate).full
        except InvalidEndpointId:
            continue
        endpoint = await endpoint_for(endpoint_id)
        if endpoint is not None:
            return RealtimeApp(endpoint_id, endpoint.input_schema, endpoint.output_schema)
    return None


class RealtimeAppConsumer(AsyncWebsocketConsumer):
    # One socket, one session: no groups, so no channel layer (an alias that names none).
    # With Redis that saves a connection and a blocking receive per session.
    channel_layer_alias = NO_CHANNEL_LAYER
    app: RealtimeApp
    inputs: deque
    worker: asyncio.Task | None = None

    async def connect(self) -> None:
        app = await find_app(self.scope["url_route"]["kwargs"]["app"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if app is None or not self._authorized(app, query):
            await self.close()  # before accept: the handshake answers 403
            return
        self.app = app
        self.inputs = deque(maxlen=_buffering(query))
        self.arrived = asyncio.Event()
        self.last_input = time.monotonic()
        await self.accept()
        self.worker = asyncio.create_task(self._work())

    def _authorized(self, app: RealtimeApp, query: dict[str, list[str]]) -> bool:
        token = (query.get("fal_jwt_token") or [""])[0]
        if token:
            try:
                tokens.verify(token, EndpointId.parse(app.endpoint_id).alias)
            except tokens.TokenError as exc:
                log.info("realtime %s: token refused (%s)", app.endpoint_id, exc)
                return False
            return True
        header = dict(self.scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        return auth.accepts(auth.credential(header))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is None:
            # fal's SDK reads inputs with receive_bytes only.
            await self._fail("INTERNAL_ERROR", "realtime inputs must be binary msgpack frames")
            return
        try:
            data = msgpack.unpackb(bytes_data, raw=False)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
            await self._fail("INTERNAL_ERROR", "the input frame is not valid msgpack")
            return
        self.inputs.append(data)
        self.last_input = time.monotonic()
        self.arrived.set()

    async def disconnect(self, code: int) -> None:
        if self.worker is not None:
            self.worker.cancel()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self.inputs:
                self.arrived.clear()
                idle = idle_seconds() - (time.monotonic() - self.last_input)
                try:
                    await asyncio.wait_for(self.arrived.wait(), max(idle, 0.0))
                except TimeoutError:
                    await self._fail("TIMEOUT", "no inputs, reconnect when needed!")
                    return
                continue
            data = self.inputs.popleft()
            started = loop.time()
            try:
                output = await loop.run_in_executor(_executor, answer, self.app, data)
            except InvalidInput as exc:
                await self._fail("INTERNAL_ERROR", str(exc))
                return
            except Exception as exc:  # the model failed: as fal, report and close
                log.exception("realtime %s failed", self.app.endpoint_id)
                await self._fail("INTERNAL_ERROR", str(exc) or type(exc).__name__)
                return
            await self.send(bytes_data=msgpack.packb(output, use_bin_type=True))
            await self.send(text_data=_timing(loop.time() - started))

    async def _fail(self, error: str, reason: str) -> None:
        message = {"type": "x-fal-error", "error": error, "reason": reason}
        await self.send(text_data=json.dumps(message))
        await self.close()
        if self.worker is not None and self.worker is not asyncio.current_task():
            self.worker.cancel()


def _timing(seconds: float) -> str:
    message: dict[str, Any] = {"type": "x-fal-message", "action": "timings", "timing": seconds}
    return json.dumps(message, separators=(",", ":"))


def _buffering(query: dict[str, list[str]]) -> int | None:
    try:
        value = int((query.get("max_buffering") or [""])[0])
    except ValueError:
        return None
    return min(max(value, 1), MAX_BUFFERING)
