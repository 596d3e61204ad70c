"""Forwarding one HTTP call to fal as it is: the gateway's way to speak fal.

Unlike `client.py`, which understands fal's answers, this passes bodies, statuses and
headers through untouched (server-sent events as they arrive), so a caller's own fal client
sees what fal said. Redirects are never followed. One connection pool per event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from playground.fal.client import USER_AGENT

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

_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


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
    _response: httpx.Response

    def header(self, name: str) -> str:
        return self._response.headers.get(name, "")

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.TimeoutException:
            return  # the caller sees the body end; a half-sent body cannot become a 504
        except httpx.TransportError:
            return
        finally:
            await self._response.aclose()

    async def read(self, max_bytes: int) -> bytes:
        """The whole body, at most `max_bytes` of it (more: UpstreamFailed 502)."""
        body = bytearray()
        try:
            async for chunk in self._response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise UpstreamFailed("fal's answer is too large to pass on.", 502)
        except httpx.TimeoutException:
            raise UpstreamFailed("fal did not finish its answer in time.", 504) from None
        except httpx.TransportError:
            raise UpstreamFailed("fal's answer was cut off.", 502) from None
        finally:
            await self._response.aclose()
        return bytes(body)

    async def aclose(self) -> None:
        await self._response.aclose()


async def open_upstream(
    method: str, url: str, *, headers: dict[str, str], body: bytes, timeout: float
) -> Upstream:
    """Send the call and wait for fal's status line and headers."""
    client = _client()
    request = client.build_request(
        method,
        url,
        headers={"User-Agent": USER_AGENT, **headers},
        content=body if method not in ("GET", "HEAD") else None,
        timeout=httpx.Timeout(timeout, connect=10.0),
    )
    try:
        response = await client.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException:
        raise UpstreamFailed("fal did not answer in time.", 504) from None
    except httpx.TransportError as exc:
        raise UpstreamFailed(f"fal could not be reached ({type(exc).__name__}).", 502) from None
    kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP]
    return Upstream(
        status=response.status_code,
        headers=kept,
        content_type=response.headers.get("content-type", ""),
        _response=response,
    )


def _client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        for old in [other for other in _clients if other.is_closed()]:
            _clients.pop(old, None)
        client = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=500, max_keepalive_connections=100),
        )
        _clients[loop] = client
    return client
