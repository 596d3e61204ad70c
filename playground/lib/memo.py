"""Answers remembered for a few seconds, so that hot paths cost no database work: the
gateway's (an app's token, its fal key, that a request is its own), rate-limit quotas,
unit prices.

Each answer is kept for the seconds its setting says (`GATEWAY_CACHE_SECONDS` unless told
otherwise; 0: never, as tests use). A change made in this process (a revoked token, a new
key, an edited price) clears the memory at once; other processes see it within those
seconds, as they see a role change.

`memory_only` lets the gateway try a call without a database hop first: a lookup that is
not remembered raises NotRemembered, and the caller does the same work again in a thread
where the database may be used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class NotRemembered(Exception):
    """A memory-only lookup missed: ask again where the database may be used."""


class Memory(Generic[T]):
    def __init__(self, max_items: int = 10_000, ttl_setting: str = "GATEWAY_CACHE_SECONDS") -> None:
        self.max_items = max_items
        self.ttl_setting = ttl_setting
        self.items: dict[Hashable, tuple[float, T]] = {}
        _memories.append(self)

    def recall(self, key: Hashable, compute: Callable[[], T], *, memory_only: bool) -> T:
        """The remembered value of `key`, else `compute()` (remembered unless it is None)."""
        seen = self.items.get(key)
        if seen is not None and seen[0] > time.monotonic():
            return seen[1]
        if memory_only:
            raise NotRemembered
        value = compute()
        ttl = getattr(settings, self.ttl_setting)
        if value is not None and ttl > 0:
            if len(self.items) >= self.max_items:
                self.items.clear()  # rare, and cheaper than tracking the oldest
            self.items[key] = (time.monotonic() + ttl, value)
        return value

    def forget(self, key: Hashable) -> None:
        self.items.pop(key, None)

    def clear(self) -> None:
        self.items.clear()


_memories: list[Memory] = []


def forget_everything() -> None:
    """Every memory, as after a restart (tests start from it)."""
    for memory in _memories:
        memory.clear()
