"""Where a fal target really goes (fal.ai, or the embedded emulator), and how fal's answers
name URLs for the caller.

In emulator mode the same fal URLs are served by the emulator, and its answers are
rewritten so callers only ever see fal's own URLs (or the gateway's), never the emulator's
address. Through the URL-replacement route, queue URLs in answers point back through the
gateway, so code that follows `status_url` and `response_url` stays on it.
"""

from __future__ import annotations

import functools

from django.http import HttpRequest

from playground.fal.config import uses_emulator
from playground.gateway.targets import Host, Target
from playground.localfal.address import emulator_url

# The URL-replacement route: one prefix per fal host (DESIGN.md "Gateway").
ROUTE_PREFIXES = {
    Host.RUN: "/gateway/fal",
    Host.QUEUE: "/gateway/fal-queue",
    Host.REST: "/gateway/fal-rest",
}
EMULATOR_MOUNTS = {Host.RUN: "/run", Host.QUEUE: "/queue", Host.REST: "/rest", Host.WS: "/run"}


def upstream_url(target: Target) -> str:
    if not uses_emulator():
        return target.url
    query = f"?{target.query}" if target.query else ""
    return f"{emulator_url().rstrip('/')}{EMULATOR_MOUNTS[target.host]}{target.path}{query}"


def rewrites(request: HttpRequest, *, through_route: bool) -> tuple[tuple[bytes, bytes], ...]:
    """(old, new) URL prefixes to replace in fal's answers for this caller."""
    emulator = emulator_url().rstrip("/") if uses_emulator() else ""
    return _pairs(emulator, f"{request.scheme}://{request.get_host()}", through_route)


@functools.lru_cache(maxsize=64)  # a few origins a process is reached by; every call asks
def _pairs(emulator: str, origin: str, through_route: bool) -> tuple[tuple[bytes, bytes], ...]:
    pairs: list[tuple[str, str]] = []
    if emulator:
        pairs += [
            (f"{emulator}/queue/", f"https://{Host.QUEUE}/"),
            (f"{emulator}/run/", f"https://{Host.RUN}/"),
            (f"{emulator}/rest/", f"https://{Host.REST}/"),
            # Files and upload URLs: this server's emulator storage, by the caller's origin.
            (f"{emulator}/cdn/", f"{origin}/localfal/cdn/"),
        ]
    if through_route:
        pairs.append((f"https://{Host.QUEUE}/", f"{origin}{ROUTE_PREFIXES[Host.QUEUE]}/"))
    return tuple((old.encode(), new.encode()) for old, new in pairs)


def rewrite(body: bytes, pairs: tuple[tuple[bytes, bytes], ...]) -> bytes:
    # Applied in order: the emulator's URLs become fal's, then fal's queue URLs the route's.
    for old, new in pairs:
        body = body.replace(old, new)
    return body
