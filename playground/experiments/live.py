"""The grid fills live: whoever changes an experiment or one of its runs tells the group
`experiment.<code>` ("experiment.changed", after the commit); each open grid holds one
`ExperimentConsumer`, which reads what changed from the database and sends those cells
(and the header) as htmx out-of-band fragments. The consumer only relays: access is
checked on connect and whenever the person's memberships change, as for live panels.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.http import Http404

from playground.accounts.live import user_group

CHANGED = "experiment.changed"
NOT_ALLOWED = 4403
log = logging.getLogger(__name__)


def group_of(experiment_id: int | None) -> str | None:
    """The experiment's group name (one small query), or None when it is gone."""
    from playground.experiments.models import Experiment

    if experiment_id is None:
        return None
    code = Experiment.objects.filter(pk=experiment_id).values_list("code", flat=True).first()
    return f"experiment.{code}" if code else None


def notify_experiment(experiment_id: int) -> None:
    """Tell the experiment's open grids to catch up (sync contexts, after the commit)."""
    layer = get_channel_layer()
    group = group_of(experiment_id) if layer is not None else None
    if group is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": CHANGED})
    except Exception:  # a dead channel layer must not fail a database write
        log.warning("could not notify the grid of experiment %s", experiment_id, exc_info=True)


async def notify_group_async(group: str | None) -> None:
    """The runner's notice, from its event loop (group_of ran on its database thread)."""
    layer = get_channel_layer()
    if layer is not None and group:
        await layer.group_send(group, {"type": CHANGED})


class ExperimentConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.code = self.scope["url_route"]["kwargs"]["code"]
        if user is None or not user.is_authenticated:
            return await self.close(code=NOT_ALLOWED)
        self.user = user
        try:
            experiment, self.can_edit = await database_sync_to_async(self.find)()
        except Http404:
            log.info("refused a watcher of experiment %s: user %s", self.code, user.pk)
            return await self.close(code=NOT_ALLOWED)
        self.experiment_pk = experiment.pk
        self.shown: dict[str, tuple[int, str]] = {}
        self.header = ""
        self.joined = [experiment.group_name, user_group(user.pk)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_update()  # after joining: nothing between the two is missed

    def find(self) -> tuple[Any, bool]:
        from playground.experiments.access import experiment_for

        return experiment_for(self.user, self.code)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers send nothing we act on."""

    async def access_changed(self, message: dict[str, Any]) -> None:
        if getattr(self, "closed", False):
            return
        try:
            await database_sync_to_async(self.find)()
        except Http404:
            self.closed = True
            await self.close(code=NOT_ALLOWED)

    async def experiment_changed(self, message: dict[str, Any]) -> None:
        if not getattr(self, "closed", False):
            await self.send_update()

    async def send_update(self) -> None:
        from playground.experiments.grid import render_changes

        html, self.shown, self.header = await database_sync_to_async(render_changes)(
            self.experiment_pk, self.shown, self.header, can_edit=self.can_edit
        )
        if html:
            await self.send(text_data=html)
