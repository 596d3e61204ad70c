"""Keeping a person's Runs page live.

Writers of a run tell the group `runs.<owner id>` when its status changes (a new run,
a queue position, running, an ending; not every log line). `RunsConsumer` only relays:
it checks the person on connect, and for each change renders that run's row from the
database (`runs_page.row_html`) and sends it with whether it matches the page's filters.
The page (static/js/runs.js) replaces the row it shows, or adds a new matching run on top.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)
NOT_ALLOWED = 4403
CHANGED = "runs.changed"


def runs_group(user_id: int) -> str:
    return f"runs.{user_id}"


def runs_message(generation: Any, *, created: bool = False) -> dict[str, Any]:
    return {"type": CHANGED, "code": str(generation.code), "created": created}


async def notify_runs_async(generation: Any, *, created: bool = False) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(
            runs_group(generation.owner_id), runs_message(generation, created=created)
        )


def notify_runs(generation: Any, *, created: bool = False) -> None:
    """Tell the person's Runs pages (sync contexts); a dead channel layer is only logged."""
    try:
        async_to_sync(notify_runs_async)(generation, created=created)
    except Exception:
        log.warning("could not tell the runs page of %s", generation.code, exc_info=True)


class RunsConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        from playground.jobs.runs_page import RunFilters

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=NOT_ALLOWED)
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        self.filters = RunFilters.from_query({name: values[-1] for name, values in query.items()})
        self.user = user
        self.group = runs_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers send nothing we act on."""

    async def runs_changed(self, message: dict[str, Any]) -> None:
        if getattr(self, "closed", False):
            return
        from playground.jobs.runs_page import row_html

        found = await database_sync_to_async(row_html)(self.user, message["code"], self.filters)
        if found is None or getattr(self, "closed", False):
            return
        html, matches = found
        payload = {
            "code": message["code"],
            "created": bool(message.get("created")),
            "matches": matches,
            "html": html,
        }
        await self.send(text_data=json.dumps(payload))
