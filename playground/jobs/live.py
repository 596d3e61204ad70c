"""Lists of runs that follow along: the dashboard's latest generations, a model page's
recent runs. When a run's status changes (started, queued, running, done, failed,
cancelled), its owner's group `runs.<id>` hears "runs.changed"; each open page of theirs
with such a list holds one `RunsConsumer` socket, which passes the news on as
`{"code", "status"}`, and the page re-reads its lists (static/js/liveruns.js). A group of
its own, not the person's `user.<id>`: their live panels (hundreds, in a bench) have no use
for the news of every other run.

Sent after the commit (by actions.py, or by the runner from its event loop), so a list
re-read on the news already shows the new status.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

RUNS_CHANGED = "runs.changed"  # the message type; RunsConsumer.runs_changed
NOT_ALLOWED = 4403
log = logging.getLogger(__name__)


def runs_group(user_id: int) -> str:
    return f"runs.{user_id}"


def runs_message(generation: Any) -> dict[str, Any]:
    return {"type": RUNS_CHANGED, "code": str(generation.code), "status": generation.status}


async def notify_owner_async(generation: Any) -> None:
    """The runner's notice, from its event loop."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(runs_group(generation.owner_id), runs_message(generation))


def notify_owner(generation: Any) -> None:
    """Tell the owner's open pages that this run's status changed (sync contexts)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(runs_group(generation.owner_id), runs_message(generation))
    except Exception:  # a dead channel layer must not fail a database write
        log.warning("could not tell the owner of %s", generation.code, exc_info=True)


class RunsConsumer(AsyncWebsocketConsumer):
    """The status news of a person's runs, for their pages' lists. Only relays: the lists
    are read again over HTTP with the usual access checks."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=NOT_ALLOWED)
        self.group = runs_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers send nothing we act on."""

    async def runs_changed(self, message: dict[str, Any]) -> None:
        news = {"code": message["code"], "status": message["status"]}
        await self.send(text_data=json.dumps(news))
