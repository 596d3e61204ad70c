"""One browser's realtime session with fal: latest wins, one input in flight.

The browser sends frames as they come (it throttles itself too). The relay keeps at most
one input at fal and one waiting; a newer frame replaces the waiting one and the browser
is told the older was dropped. A slow model never builds a backlog: what it answers next
is always the newest input.

After `idle_seconds` without a frame the fal socket is closed (fal bills open sessions);
the next frame opens a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from playground.fal.config import client_from_settings
from playground.fal.errors import FalAuthError, FalError
from playground.fal.realtime import RealtimeError, RealtimeReply, RealtimeSession, redact
from playground.realtime.frames import InputFrame, Picture, first_picture, pack_result, summary

log = logging.getLogger(__name__)
KEEP_RESULTS = 8  # recent results "Save frame" can pick from
SendText = Callable[[dict[str, Any]], Awaitable[None]]
SendBytes = Callable[[bytes], Awaitable[None]]


def idle_seconds() -> float:
    return settings.REALTIME_IDLE_SECONDS


class Upstream(Protocol):
    connected: bool

    async def request(self, payload: dict[str, Any], *, tag: Any = None) -> RealtimeReply: ...

    async def aclose(self) -> None: ...


class FalUpstream:
    """fal's realtime endpoint (or the emulator's), with a client that mints its tokens:
    the key (the person's, resolved like a run's; None for the configured default) stays in
    this process."""

    def __init__(
        self, endpoint_id: str, on_timing: Callable[[Any, float], None], key: str | None = None
    ) -> None:
        self.client = client_from_settings(key=key)
        self.session = RealtimeSession(
            endpoint_id,
            urls=self.client.urls,
            token=lambda: self.client.realtime_token(endpoint_id),
            on_timing=on_timing,
        )

    @property
    def connected(self) -> bool:
        return self.session.connected

    async def request(self, payload: dict[str, Any], *, tag: Any = None) -> RealtimeReply:
        return await self.session.request(payload, tag=tag)

    async def aclose(self) -> None:
        await self.session.aclose()
        await self.client.aclose()


@dataclass(frozen=True)
class Kept:
    """A result and the input that made it: what "Save frame" stores."""

    seq: int
    params: dict[str, Any]
    frame: InputFrame
    output: dict[str, Any]


class Relay:
    def __init__(
        self,
        *,
        endpoint_id: str,
        image_field: str | None,
        send_text: SendText,
        send_bytes: SendBytes,
        upstream: Callable[[Callable[[Any, float], None]], Upstream] | None = None,
        idle: float | None = None,
        key: str | None = None,
    ) -> None:
        self.endpoint_id = endpoint_id
        self.key = key
        self.image_field = image_field
        self._send_text = send_text
        self._send_bytes = send_bytes
        self._make_upstream = upstream or (lambda hook: FalUpstream(endpoint_id, hook, key))
        self._upstream: Upstream | None = None
        self.idle = idle_seconds() if idle is None else idle
        self.params: dict[str, Any] | None = None
        self._pending: tuple[InputFrame, dict[str, Any] | None] | None = None
        self._wake = asyncio.Event()
        self._kept: deque[Kept] = deque(maxlen=KEEP_RESULTS)
        self._state = ""
        self._tasks: set[asyncio.Task] = set()
        self.sent = 0  # inputs sent to fal (tests read it)

    # -- from the consumer ------------------------------------------------------------------
    def set_params(self, params: dict[str, Any] | None) -> None:
        """The form's input (None while it has errors: frames wait for a valid form)."""
        self.params = params

    async def offer(self, frame: InputFrame) -> None:
        """A new frame: it replaces the one waiting, if any."""
        if self._pending is not None:
            await self._send_text({"type": "dropped", "seq": self._pending[0].seq})
        self._pending = (frame, self.params)
        self._wake.set()

    def kept(self, seq: Any = None) -> Kept | None:
        """The result for `seq` (the one the browser shows), else the latest."""
        for item in reversed(self._kept):
            if item.seq == seq:
                return item
        return self._kept[-1] if self._kept else None

    async def run(self) -> None:
        while True:
            if self._pending is None:
                self._wake.clear()
                connected = self._upstream is not None and self._upstream.connected
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle if connected else None)
                except TimeoutError:
                    await self._rest()
                continue
            frame, params = self._pending
            self._pending = None
            await self._process(frame, params)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._upstream is not None:
            upstream, self._upstream = self._upstream, None
            await upstream.aclose()

    # -- one input --------------------------------------------------------------------------
    async def _process(self, frame: InputFrame, params: dict[str, Any] | None) -> None:
        if params is None:
            await self._error(frame.seq, "INVALID_INPUT", "Fix the highlighted fields to go on.")
            return
        payload = dict(params)
        if self.image_field:
            if not frame.picture:
                await self._error(frame.seq, "INVALID_INPUT", "This model needs a picture.")
                return
            payload[self.image_field] = frame.data_uri()
        upstream = self._connect()
        if not upstream.connected:
            await self._set_state("connecting", "Connecting to fal…")
        self.sent += 1
        try:
            reply = await upstream.request(payload, tag=frame.seq)
        except RealtimeError as error:
            await self._error(frame.seq, error.error, _fal_said(error, self.key))
            return
        except FalAuthError:
            message = "fal refused the key: check your fal key under Settings (or the server's)."
            await self._set_state("error", message)
            await self._error(frame.seq, "AUTH", message)
            return
        except FalError as error:
            said = safe_text(str(error), self.key)
            await self._set_state("error", f"Can't reach fal: {said}")
            await self._error(frame.seq, "UPSTREAM", said)
            return
        await self._deliver(frame, params, reply)

    def _connect(self) -> Upstream:
        if self._upstream is None:
            self._upstream = self._make_upstream(self._on_timing)
        return self._upstream

    async def _deliver(self, frame: InputFrame, params: dict[str, Any], reply: RealtimeReply):
        picture: Picture | None = first_picture(reply.data)
        header = {
            "type": "result",
            "seq": frame.seq,
            "fal_ms": round(reply.seconds * 1000, 2),
            "content_type": picture.content_type if picture else "",
            "width": picture.width if picture else None,
            "height": picture.height if picture else None,
            "output": summary(reply.data),
        }
        if picture and picture.url:
            header["url"] = picture.url
        self._kept.append(Kept(frame.seq, params, frame, reply.data))
        await self._send_bytes(pack_result(header, picture.data if picture else b""))
        await self._set_state("live", "Live")

    async def _rest(self) -> None:
        """Idle: close the fal socket; the next frame opens another."""
        if self._upstream is not None:
            upstream, self._upstream = self._upstream, None
            await upstream.aclose()
        await self._set_state("idle", "Paused: draw, or change a setting, to go on.")

    def _on_timing(self, seq: Any, seconds: float) -> None:
        """fal's timing of a result arrives after it, from the socket's reader."""
        if seq is None:
            return
        message = {"type": "timing", "seq": seq, "ms": round(seconds * 1000, 2)}
        task = asyncio.get_running_loop().create_task(self._send_text(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _set_state(self, state: str, message: str) -> None:
        if state != self._state:
            self._state = state
            await self._send_text({"type": "status", "state": state, "message": message})

    async def _error(self, seq: int, code: str, message: str) -> None:
        await self._send_text({"type": "error", "seq": seq, "code": code, "message": message})


def _fal_said(error: RealtimeError, key: str | None = None) -> str:
    reason = safe_text(error.reason, key) or "no reason given"
    return f"The model could not use this input ({error.error}): {reason}"


def safe_text(text: str, key: str | None = None) -> str:
    """Text fit for a browser: no token, and never a key (the server's or `key`), whatever
    a library put in it."""
    text = redact(text)
    for secret in (settings.FAL_KEY, key):
        if secret:
            text = text.replace(secret, "…")
    return text[:500]
