"""Live generation panels: replay what happened, then push each change as it happens.

The consumer only relays. It checks access on connect, and again whenever its person's
memberships change or the generation moves ("access.changed", see accounts/live.py), closing
once access is gone; it keeps nothing that persistence depends on. A change message may
carry the fragment of the events just committed (rendered once by the writer, for every
watcher): a socket that has shown exactly everything before them sends it as is; any other
renders from the database.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404

from playground.accounts.live import user_group
from playground.demo.visitors import generation_for_visitor
from playground.jobs.access import generation_for
from playground.jobs.models import Generation
from playground.jobs.panel import render_pool, render_update

NOT_ALLOWED = 4403
log = logging.getLogger(__name__)


class GenerationConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        code = self.scope["url_route"]["kwargs"]["code"]
        signed_in = user is not None and user.is_authenticated
        if not signed_in and not settings.DEMO_MODE:
            log.info("refused a watcher of %s: not logged in", code)
            return await self.close(code=NOT_ALLOWED)
        try:
            self.generation = await database_sync_to_async(self.find)(user, code, signed_in)
        except Http404:
            log.info("refused a watcher of %s: not visible to %s", code, _who(user, signed_in))
            return await self.close(code=NOT_ALLOWED)
        # Every connection starts with the whole state (regions replaced, not appended),
        # so a reconnect after a network drop never shows a log line twice.
        self.last_seq = 0
        self.user, self.code, self.signed_in = user, code, signed_in
        self.joined = [self.generation.group_name]
        if signed_in:  # a demo visitor has no memberships to lose
            self.joined.append(user_group(user.pk))
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        # Catch up after joining the group, so nothing between the two is missed.
        await self.send_update()

    def find(self, user: Any, code: str, signed_in: bool) -> Generation:
        """The generation, if this socket's person (or demo visitor's session) may see it;
        raises Http404 otherwise."""
        if signed_in:
            return generation_for(user, code)[0]
        return generation_for_visitor(self.scope["session"], code)

    async def disconnect(self, code: int) -> None:
        self.closed = True  # a change may still be on its way: don't send to a closed socket
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def access_changed(self, message: dict[str, Any]) -> None:
        """The person's memberships changed, or the generation moved: look again, and
        close (as on a refused connect) when they may no longer see it."""
        if getattr(self, "closed", False):
            return
        try:
            await database_sync_to_async(self.find)(self.user, self.code, self.signed_in)
        except Http404:
            who = _who(self.user, self.signed_in)
            log.info("closed a watcher of %s: %s lost access", self.code, who)
            self.closed = True
            await self.close(code=NOT_ALLOWED)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers send nothing we act on (htmx may send form values); ignore it."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections (a thread hop) before every message;
        # a fragment passed on as is touches no database, and arrives for every log line.
        if message.get("type") == "generation.changed" and message.get("html"):
            return await self.generation_changed(message)
        await super().dispatch(message)

    async def generation_changed(self, message: dict[str, Any]) -> None:
        if getattr(self, "closed", False):
            return
        to_seq = message.get("to_seq", 0)
        if to_seq and to_seq <= self.last_seq:
            return  # already shown (the catch-up on connect read it)
        if message.get("html") and message.get("from_seq") == self.last_seq + 1:
            self.last_seq = to_seq
            await self.send(text_data=message["html"])
            return
        await self.send_update()

    async def send_update(self) -> None:
        # Off the shared sync thread: hundreds of panels updating at once must not queue
        # behind each other (or behind every sync view of this process).
        html, self.last_seq = await render_pool().run(
            render_update, self.generation.pk, self.last_seq
        )
        if html:
            await self.send(text_data=html)


def _who(user: Any, signed_in: bool) -> str:
    return f"user {user.pk}" if signed_in else "this demo visitor"
