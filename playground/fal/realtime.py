"""The only code that speaks fal's realtime WebSocket protocol (fal-protocol.md §6).

    session = RealtimeSession("fal-ai/lcm-sd15-i2i", urls=fal.urls, token=fal.realtime_token)
    reply = await session.request({"prompt": "a fox", "image_url": "data:image/jpeg;base64,..."})
    reply.data          # the decoded msgpack result (bytes fields stay bytes)
    await session.aclose()

A session keeps one input in flight: `request` sends one msgpack frame and waits for its
answer. It connects lazily with a freshly minted token (they live two minutes), and
reconnects when fal drops the socket or ends an idle session (`x-fal-error` TIMEOUT),
sending the input that was in flight again. fal closes the socket after any other error;
the next request reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from playground.fal.endpoints import EndpointId
from playground.fal.errors import FalAuthError, FalConnectionError, FalError, FalTimeoutError
from playground.fal.types import FalUrls

log = logging.getLogger(__name__)
TokenProvider = Callable[[], Awaitable[str]]
TimingHook = Callable[[Any, float], None]  # (the answered request's tag, seconds)
# Waits between reconnect attempts; their number is how often one request may reconnect.
RECONNECT_DELAYS = (0.0, 0.25, 1.0)
_TOKEN_IN_TEXT = re.compile(r"(fal_jwt_token=)[^&\s'\"]+")


class RealtimeError(FalError):
    """fal answered an input with `x-fal-error` (e.g. INTERNAL_ERROR for a bad input)."""

    def __init__(self, error: str, reason: str = "") -> None:
        super().__init__(f"{error}: {reason}" if reason else error)
        self.error = error
        self.reason = reason


@dataclass(frozen=True)
class Result:
    data: dict[str, Any]


@dataclass(frozen=True)
class Meta:
    """`x-fal-message`: fal's per-input timing (seconds), sent after each result."""

    action: str
    timing: float | None


@dataclass(frozen=True)
class ErrorFrame:
    error: str
    reason: str


Frame = Result | Meta | ErrorFrame


@dataclass(frozen=True)
class RealtimeReply:
    data: dict[str, Any]
    seconds: float  # send to answer, as this server saw it


def realtime_url(
    urls: FalUrls, endpoint_id: str, token: str | None = None, *, max_buffering: int | None = None
) -> str:
    """`wss://fal.run/{owner}/{alias}[/{path}]/realtime?fal_jwt_token=…` (the emulator's
    run mount for local urls). Like fal-js, `/realtime` is not added twice."""
    base = urls.run.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    path = EndpointId.parse(endpoint_id).full
    if not path.endswith("/realtime"):
        path += "/realtime"
    query: dict[str, str] = {}
    if token:
        query["fal_jwt_token"] = token
    if max_buffering is not None:
        query["max_buffering"] = str(max_buffering)
    return f"{base}/{path}" + (f"?{urlencode(query)}" if query else "")


def redact(text: str) -> str:
    """Text safe to log or show: realtime tokens cut out of any URL in it."""
    return _TOKEN_IN_TEXT.sub(r"\1…", text)


async def open_socket(
    url: str, *, open_timeout: float = 10.0, max_size: int | None = None
) -> ClientConnection:
    """fal's realtime socket at `url` (token included). Raises FalAuthError when fal
    refuses the token, FalTimeoutError when it does not answer, FalConnectionError
    otherwise (the upstream's HTTP status, if any, in its message, never the token)."""
    try:
        return await connect(
            url,
            open_timeout=open_timeout,
            max_size=max_size,
            compression=None,  # JPEG frames don't compress; deflate would only cost time
            ping_interval=20,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise FalAuthError("fal refused the realtime token", status_code=status) from None
        raise FalConnectionError(f"fal's realtime endpoint answered HTTP {status}") from None
    except TimeoutError:
        raise FalTimeoutError("fal's realtime endpoint did not answer in time") from None
    except (OSError, InvalidHandshake) as exc:
        raise FalConnectionError(
            f"cannot reach fal's realtime endpoint: {redact(str(exc))}"
        ) from None


def encode(payload: dict[str, Any]) -> bytes:
    return msgpack.packb(payload, use_bin_type=True)


def parse_frame(message: bytes | str) -> Frame:
    """One frame from fal: binary msgpack results, JSON text for meta and errors."""
    if isinstance(message, bytes | bytearray | memoryview):
        try:
            data = msgpack.unpackb(bytes(message), raw=False)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
            return ErrorFrame("BAD_FRAME", f"fal sent a frame that is not msgpack: {exc}")
        return Result(data if isinstance(data, dict) else {"payload": data})
    try:
        data = json.loads(message)
    except ValueError:
        return Result({"type": "text", "payload": message})
    if not isinstance(data, dict):
        return Result({"payload": data})
    if data.get("type") == "x-fal-message":
        timing = data.get("timing")
        return Meta(str(data.get("action", "")), float(timing) if _is_number(timing) else None)
    if data.get("type") == "x-fal-error":
        return ErrorFrame(str(data.get("error") or "UNKNOWN_ERROR"), str(data.get("reason") or ""))
    if data.get("status") == "error":  # what fal-js reads as an auth failure
        return ErrorFrame(str(data.get("error") or "UNKNOWN_ERROR"), str(data.get("reason") or ""))
    return Result(data)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_CLOSED = object()  # put in the inbox when the socket ends


class RealtimeSession:
    """One person's realtime session with one endpoint; see the module docstring."""

    def __init__(
        self,
        endpoint_id: str,
        *,
        urls: FalUrls,
        token: TokenProvider,
        reply_timeout: float = 60.0,
        open_timeout: float = 10.0,
        on_timing: TimingHook | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.endpoint_id = endpoint_id
        self.urls = urls
        self._token = token
        self._reply_timeout = reply_timeout
        self._open_timeout = open_timeout
        self._on_timing = on_timing
        self._sleep = sleep
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._tag: Any = None  # of the request in flight
        self._answered: Any = None  # of the request the last result answered
        self.connects = 0  # how many sockets this session opened (reconnects included)

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._reader is not None and not self._reader.done()

    async def request(self, payload: dict[str, Any], *, tag: Any = None) -> RealtimeReply:
        """Send one input, return its result; fal's timing for it goes to `on_timing` with
        `tag`. Raises RealtimeError for fal's `x-fal-error`,
        FalAuthError when fal refuses the key or token, FalConnectionError when the socket
        keeps dropping, FalTimeoutError when no answer comes."""
        frame = encode(payload)
        self._tag = tag
        for delay in RECONNECT_DELAYS:
            if delay:
                await self._sleep(delay)
            if self._stale():
                await self._reset()
            ws = await self._open()
            started = time.monotonic()
            try:
                await ws.send(frame)
            except ConnectionClosed:
                await self._reset()
                continue
            answer = await self._answer()
            if answer is _CLOSED:
                await self._reset()
                continue
            if isinstance(answer, ErrorFrame):
                if answer.error == "TIMEOUT":  # an idle session ended as we sent: again
                    await self._reset()
                    continue
                raise RealtimeError(answer.error, answer.reason)
            return RealtimeReply(answer.data, time.monotonic() - started)
        raise FalConnectionError("fal's realtime connection keeps dropping")

    async def aclose(self) -> None:
        await self._reset()

    async def _answer(self) -> Any:
        try:
            async with asyncio.timeout(self._reply_timeout):  # no extra task, unlike wait_for
                return await self._inbox.get()
        except TimeoutError:
            await self._reset()
            raise FalTimeoutError(
                f"fal sent no realtime answer within {self._reply_timeout:g} s"
            ) from None

    def _stale(self) -> bool:
        """Nothing is in flight between requests: an error or the socket's end that
        arrived meanwhile (fal's idle timeout) means the next send needs a new socket."""
        stale = False
        while not self._inbox.empty():
            if not isinstance(self._inbox.get_nowait(), Result):
                stale = True
        return stale

    async def _open(self) -> ClientConnection:
        if self.connected:
            assert self._ws is not None
            return self._ws
        await self._reset()
        token = await self._token()
        url = realtime_url(self.urls, self.endpoint_id, token)
        ws = await open_socket(url, open_timeout=self._open_timeout)
        self._ws = ws
        self._inbox = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(ws, self._inbox))
        self.connects += 1
        return ws

    async def _read(self, ws: ClientConnection, inbox: asyncio.Queue) -> None:
        try:
            async for message in ws:
                frame = parse_frame(message)
                if isinstance(frame, Meta):
                    # fal sends it after the result it belongs to.
                    if self._on_timing and frame.timing is not None:
                        self._on_timing(self._answered, frame.timing)
                    continue
                if isinstance(frame, Result):
                    self._answered = self._tag
                inbox.put_nowait(frame)
        except ConnectionClosed:
            pass
        finally:
            inbox.put_nowait(_CLOSED)

    async def _reset(self) -> None:
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None
        if reader is not None:
            reader.cancel()
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 2)
            except (TimeoutError, ConnectionClosed, OSError):
                pass
