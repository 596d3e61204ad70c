"""RealtimeConsumer: the browser's side of a realtime session (`/ws/realtime/<endpoint id>/`).

Logged-in people only; the endpoint must be in the catalog with a realtime mode. The wire
format is in frames.py; latest-wins relaying to fal in relay.py. The browser never meets
fal: the server mints the token and holds the fal socket, so the key stays here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.catalog.models import Endpoint
from playground.fal.config import client_from_settings
from playground.fal.errors import FalError
from playground.lib.channels import NO_CHANNEL_LAYER
from playground.lib.schemaguard import CheckTimedOut, check_off_loop
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import quota_for
from playground.realtime.actions import save_frame
from playground.realtime.frames import BadFrame, parse_input, pictures
from playground.realtime.params import RealtimeForm, decode_params, realtime_form
from playground.realtime.relay import Kept, Relay, safe_text

log = logging.getLogger(__name__)
MAX_FIELDS = 500


def realtime_endpoint(endpoint_id: str) -> tuple[Endpoint, RealtimeForm] | None:
    endpoint = Endpoint.objects.by_endpoint_id(endpoint_id)
    if endpoint is None or "realtime" not in endpoint.modes:
        return None
    return endpoint, realtime_form(endpoint)


def _count_session(user_id: int) -> None:
    """Raises OverBudget or counter.Limited when the session may not start."""
    check_budgets(user_id)
    counter.hit(quota_for(user_id))


class RealtimeConsumer(AsyncWebsocketConsumer):
    # A relay between one browser and fal: no groups, so no channel layer (see lib/).
    channel_layer_alias = NO_CHANNEL_LAYER
    relay: Relay | None = None
    task: asyncio.Task | None = None
    key: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept: the handshake is refused (403)
            return
        endpoint_id = self.scope["url_route"]["kwargs"]["endpoint_id"]
        found = await database_sync_to_async(realtime_endpoint)(endpoint_id)
        if found is None:
            await self.close()
            return
        self.user = user
        self.endpoint, self.spec = found
        await self.accept()
        try:
            # A session counts once against the person's rate limit, as a run does.
            await database_sync_to_async(_count_session)(user.pk)
        except counter.Limited as limited:
            await self.send_json({"type": "status", "state": "error", "message": str(limited)})
            await self._error("RATE_LIMITED", str(limited))
            return
        except OverBudget as over:
            await self.send_json({"type": "status", "state": "error", "message": str(over)})
            await self._error("BUDGET_REACHED", str(over))
            return
        try:
            # The person's key, as for their runs (credentials.py): never simply the server's.
            self.key = await database_sync_to_async(resolve_fal_key)(user.pk, None)
        except NoFalKey as error:
            # Open, so the page can say why; without a relay every frame is ignored.
            await self.send_json({"type": "status", "state": "error", "message": str(error)})
            await self._error("NO_KEY", str(error))
            return
        self.relay = Relay(
            endpoint_id=self.endpoint.endpoint_id,
            image_field=self.spec.image_field,
            send_text=self.send_json,
            send_bytes=self.send_bytes,
            key=self.key,
        )
        self.task = asyncio.create_task(self.relay.run())
        await self.send_json({"type": "status", "state": "ready", "message": "Ready"})

    async def disconnect(self, code: int) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.relay is not None:
            await self.relay.aclose()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.relay is None:
            return
        if bytes_data is not None:
            try:
                frame = parse_input(bytes_data)
            except BadFrame as error:
                await self._error("BAD_FRAME", str(error))
                return
            await self.relay.offer(frame)
            return
        message = _json_object(text_data or "")
        kind = message.get("type") if message else None
        if kind == "params":
            await self._params(message.get("fields"))
        elif kind == "save":
            await self._save(message.get("seq"))
        else:
            await self._error("BAD_MESSAGE", 'Send JSON objects with a "type": params or save.')

    async def _params(self, fields: Any) -> None:
        pairs = _pairs(fields)
        if pairs is None:
            await self._error("BAD_MESSAGE", "params.fields must be a list of [name, value].")
            return
        try:  # schema checks run off the event loop, with a time limit
            params, errors = await check_off_loop(decode_params, self.spec, pairs)
        except CheckTimedOut as exc:
            params, errors = {}, {"__all__": [str(exc)]}
        assert self.relay is not None
        self.relay.set_params(None if errors else params)
        await self.send_json({"type": "invalid" if errors else "valid", "errors": errors})

    async def _save(self, seq: Any) -> None:
        assert self.relay is not None
        kept = self.relay.kept(seq)
        if kept is None:
            await self._error("SAVE", "Nothing to save yet: wait for the first output.")
            return
        try:
            downloaded = await _download_urls(kept, self.key)
            generation = await database_sync_to_async(save_frame)(
                user=self.user,
                endpoint=self.endpoint,
                params=kept.params,
                image_field=self.spec.image_field,
                input_picture=(kept.frame.picture, kept.frame.content_type)
                if kept.frame.picture
                else None,
                output=kept.output,
                downloaded=downloaded,
            )
        except FalError as error:
            said = safe_text(str(error), self.key)
            await self._error("SAVE", f"Could not fetch the output: {said}")
            return
        except Exception:
            log.exception("saving a realtime frame of %s failed", self.endpoint.endpoint_id)
            await self._error("SAVE", "Could not save this frame. Try again.")
            return
        await self.send_json(
            {"type": "saved", "seq": kept.seq, "url": generation.get_absolute_url()}
        )

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def send_bytes(self, data: bytes) -> None:
        await self.send(bytes_data=data)


async def _download_urls(kept: Kept, key: str | None) -> dict[str, bytes]:
    """Outputs fal gave as URLs (its CDN), fetched once for storage."""
    urls = [p.url for p in pictures(kept.output) if p.url]
    if not urls:
        return {}
    async with client_from_settings(key=key) as fal:
        limit = settings.ASSET_MAX_BYTES
        return {url: (await fal.download(url, max_bytes=limit))[0] for url in urls}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _pairs(fields: Any) -> list[tuple[str, str]] | None:
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        return None
    pairs = []
    for item in fields:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        if not all(isinstance(value, str) for value in item):
            return None
        pairs.append((item[0], item[1]))
    return pairs
