"""Counting requests against a Quota: a moving window of one minute (the `limits` library),
in Redis when REDIS_URL is set (shared by every process), else in this process's memory.

`hit` is for synchronous code (views, threads); `ahit` for the gateway's event loop: with
memory storage it is the same cheap call (a lock and a list insert, no thread hop); with
Redis it uses `limits.aio` on a client of the server loop's own, and `hit` in a thread on
any other loop (a test's or a script's), whose end would leave such a client unclosed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from functools import lru_cache

from django.conf import settings
from limits import RateLimitItemPerMinute, storage, strategies
from limits.aio import strategies as aio_strategies
from limits.errors import StorageError

from playground.lib.loops import is_server_loop
from playground.limits.quotas import Quota

log = logging.getLogger(__name__)


class Limited(Exception):
    """Over the quota: try again in `retry_after` seconds."""

    def __init__(self, quota: Quota, retry_after: int) -> None:
        self.quota = quota
        self.retry_after = retry_after
        super().__init__(
            f"Rate limit reached: {quota.per_minute} "
            f"request{'s' if quota.per_minute != 1 else ''} a minute. "
            f"Try again in {retry_after} s."
        )

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return (("Retry-After", str(self.retry_after)),)


def hit(quota: Quota | None) -> None:
    """Count one request; raises Limited (and counts nothing) when over the quota."""
    if quota is None:
        return
    limiter, item = _limiter(), _item(quota.per_minute)
    try:
        if limiter.hit(item, quota.bucket):
            return
        stats = limiter.get_window_stats(item, quota.bucket)
    except StorageError as failure:
        _unavailable(failure)
        return
    raise Limited(quota, _retry_after(stats))


async def ahit(quota: Quota | None) -> None:
    """`hit` on the event loop."""
    if quota is None:
        return
    if not settings.REDIS_URL:
        hit(quota)
        return
    if not is_server_loop():
        await asyncio.to_thread(hit, quota)
        return
    limiter, item = _async_limiter(), _item(quota.per_minute)
    try:
        if await limiter.hit(item, quota.bucket):
            return
        stats = await limiter.get_window_stats(item, quota.bucket)
    except StorageError as failure:
        _unavailable(failure)
        return
    raise Limited(quota, _retry_after(stats))


def _unavailable(failure: StorageError) -> None:
    # Redis down: let the request through rather than fail every run and call; the
    # health check (/healthz) reports Redis, and this log says limits are not held.
    log.warning("rate limits not counted, their storage failed: %r", failure.storage_error)


def reset() -> None:
    """Forget every count (tests; Redis: only this app's keys)."""
    _limiter().storage.reset()


def _retry_after(stats) -> int:
    # The oldest request in the window leaves it at `reset_time`; then one more may go.
    return max(1, math.ceil(stats.reset_time - time.time()))


@lru_cache(maxsize=64)
def _item(per_minute: int) -> RateLimitItemPerMinute:
    return RateLimitItemPerMinute(per_minute, namespace="PLAYGROUND")


_sync: dict[str, strategies.MovingWindowRateLimiter] = {}


def _limiter() -> strategies.MovingWindowRateLimiter:
    """One limiter per storage URL (tests switch REDIS_URL)."""
    url = settings.REDIS_URL or "memory://"
    if url not in _sync:
        _sync[url] = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(url, wrap_exceptions=True)
        )
    return _sync[url]


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _async_limiter() -> aio_strategies.MovingWindowRateLimiter:
    # A Redis asyncio client belongs to the loop it was made on (STYLE.md: never share
    # one across event loops); only the server's loop gets one (see `ahit`).
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None or found[0] != settings.REDIS_URL:
        backend = storage.storage_from_string(
            f"async+{settings.REDIS_URL}", implementation="redispy", wrap_exceptions=True
        )
        found = (settings.REDIS_URL, aio_strategies.MovingWindowRateLimiter(backend))
        _by_loop[loop] = found
    return found[1]
