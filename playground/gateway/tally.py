"""Follow-ups of logged requests (polls, streams, result fetches), written in batches.

An app polling a request's status several times a second would otherwise cost a database
write per poll, in the middle of the call it makes. Follow-ups are added up in memory and
written together `GATEWAY_LOG_FLUSH_SECONDS` later (0: at once, as tests use); a crash loses
at most that much of the counting, never a request's own row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from playground.usage.rollup import update_logged

log = logging.getLogger(__name__)


@dataclass
class Pending:
    follow_ups: int = 0
    bytes_out: int = 0
    queue_ms: int | None = None  # the first seen wins
    fields: dict[str, Any] = field(default_factory=dict)  # the last seen wins


class Tally:
    def __init__(self) -> None:
        self.pending: dict[int, Pending] = {}
        self.flushing: asyncio.Task | None = None

    async def add(
        self, row_id: int, *, follow_ups: int = 0, bytes_out: int = 0,
        queue_ms: int | None = None, **fields: Any,
    ) -> None:  # fmt: skip
        entry = self.pending.setdefault(row_id, Pending())
        entry.follow_ups += follow_ups
        entry.bytes_out += bytes_out
        if entry.queue_ms is None:
            entry.queue_ms = queue_ms
        entry.fields.update(fields)
        delay = settings.GATEWAY_LOG_FLUSH_SECONDS
        if delay <= 0:
            await self.flush()
        elif self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._flush_after(delay))

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, {}
        if batch:
            try:
                await sync_to_async(write)(batch)
            except DatabaseError:
                log.exception("could not write %d request log follow-ups", len(batch))


def write(batch: dict[int, Pending]) -> None:
    """The batch on its rows, and what it changes of cost, errors and queue times on the
    usage roll-up, in one transaction."""
    changes: dict[int, dict[str, Any]] = {}
    for row_id, entry in batch.items():
        changes[row_id] = {
            "follow_ups": F("follow_ups") + entry.follow_ups,
            "bytes_out": F("bytes_out") + entry.bytes_out,
            **entry.fields,
        }
        if entry.queue_ms is not None:
            changes[row_id]["queue_ms"] = Coalesce("queue_ms", Value(entry.queue_ms))
    update_logged(changes)


_tallies: dict[asyncio.AbstractEventLoop, Tally] = {}


def tally() -> Tally:
    """This event loop's tally (daphne runs one loop; tests may run several)."""
    loop = asyncio.get_running_loop()
    found = _tallies.get(loop)
    if found is None:
        for old in [other for other in _tallies if other.is_closed()]:
            _tallies.pop(old, None)
        found = _tallies[loop] = Tally()
    return found
