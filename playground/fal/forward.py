"""Forwarding one HTTP call to fal as it is: the gateway's way to speak fal.

Unlike `client.py`, which understands fal's answers, this passes bodies, statuses and
headers through untouched (server-sent events as they arrive), so a caller's own fal client
sees what fal said. Redirects are never followed, cookies never kept. One connection pool
per event loop.

It uses aiohttp where the rest of the product uses httpx: the gateway forwards every poll
of every app, and per call httpx costs about seven times the CPU (1.2 ms against 0.17 ms
on the bench machine), which alone would break the gateway's latency budget (DESIGN.md).
"""

from __future__ import annotations

import asyncio
import functools
import urllib.parse
import urllib.request
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from playground.fal.client import USER_AGENT
from playground.lib.loops import is_server_loop

# Headers that describe one connection, not the message (RFC 9110 §7.6.1), and those we
# recompute because the body may be re-encoded on the way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
        "set-cookie",
    }
)
# Connections to fal (or the emulator) kept open per process, and how long an idle one is.
MAX_CONNECTIONS = 500
KEEPALIVE_SECONDS = 30.0

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


class UpstreamFailed(Exception):
    """fal could not be reached (status 502) or did not answer in time (504)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upstream:
    """fal's answer: status and headers at once, the body as it streams."""

    status: int
    headers: list[tuple[str, str]]
    content_type: str
    _response: aiohttp.ClientResponse
    _own_session: aiohttp.ClientSession | None = None  # made for this call alone

    def header(self, name: str) -> str:
        return self._response.headers.get(name, "")

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError):
            return  # the caller sees the body end; a half-sent body cannot become a 504
        finally:
            await self.aclose()

    async def read(self, max_bytes: int) -> bytes:
        """The whole body, at most `max_bytes` of it (more: UpstreamFailed 502)."""
        body = bytearray()
        try:
            async for chunk in self._response.content.iter_any():
                body += chunk
                if len(body) > max_bytes:
                    raise UpstreamFailed("fal's answer is too large to pass on.", 502)
        except TimeoutError:
            raise UpstreamFailed("fal did not finish its answer in time.", 504) from None
        except aiohttp.ClientError:
            raise UpstreamFailed("fal's answer was cut off.", 502) from None
        finally:
            await self.aclose()
        return bytes(body)

    async def aclose(self) -> None:
        self._response.release()
        if self._own_session is not None:
            await self._own_session.close()


async def open_upstream(
    method: str, url: str, *, headers: dict[str, str], body: bytes, timeout: float
) -> Upstream:
    """Send the call and wait for fal's status line and headers. `timeout` bounds each
    wait for fal (connecting takes at most 10 s), not the whole answer: event streams
    may run long."""
    session, own = _session()
    try:
        response = await session.request(
            method,
            url,
            headers={"User-Agent": USER_AGENT, **headers},
            data=body if method not in ("GET", "HEAD") else None,
            allow_redirects=False,
            proxy=_proxy_for(url),
            timeout=aiohttp.ClientTimeout(total=None, connect=10.0, sock_read=timeout),
        )
    except (TimeoutError, aiohttp.ClientError) as exc:
        if own:
            await session.close()
        if isinstance(exc, TimeoutError):
            raise UpstreamFailed("fal did not answer in time.", 504) from None
        raise UpstreamFailed(f"fal could not be reached ({type(exc).__name__}).", 502) from None
    kept = [(k, v) for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP]
    return Upstream(
        status=response.status,
        headers=kept,
        content_type=response.headers.get("content-type", ""),
        _response=response,
        _own_session=session if own else None,
    )


def _proxy_for(url: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers the host, as httpx reads them."""
    parts = urllib.parse.urlsplit(url)
    return _proxy_for_host(parts.scheme, parts.hostname or "")


@functools.lru_cache(maxsize=64)
def _proxy_for_host(scheme: str, host: str) -> str | None:
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(scheme)


def _session() -> tuple[aiohttp.ClientSession, bool]:
    """This loop's pooled session when the loop is the server's; otherwise (Django's test
    client and tests run each call on a loop of their own) a session for this call alone,
    closed with its answer (True): a pool left on a finished loop could not be closed."""
    loop = asyncio.get_running_loop()
    if not is_server_loop(loop):
        return _new_session(), True
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = _new_session()
    return session, False


def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),  # one caller's cookies never reach another
        # Not trust_env: it looks up ~/.netrc and the proxy variables in a thread on every
        # call; the proxy is looked up once per host instead (_proxy_for).
        trust_env=False,
    )
