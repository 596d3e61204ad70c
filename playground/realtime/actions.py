"""Save frame: a realtime input and its output kept as a completed generation.

The files are stored like every generation's (playground.jobs.assets: sniffed, described,
thumbnailed) and served behind the same access check; the output picture comes first, so
galleries show it, the input picture after it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from playground.catalog.models import Endpoint
from playground.jobs.actions import record_event
from playground.jobs.assets import Found, store_asset
from playground.jobs.models import EventKind, Generation, OutputKind, Status
from playground.realtime.frames import Picture, pictures, summary

MODE = "realtime"


def save_frame(
    *,
    user: Any,
    endpoint: Endpoint,
    params: dict[str, Any],
    image_field: str | None,
    input_picture: tuple[bytes, str] | None,
    output: dict[str, Any],
    downloaded: dict[str, bytes] | None = None,
) -> Generation:
    """A COMPLETED generation (mode realtime) with its files. `downloaded` holds the bytes
    of output pictures that fal gave as URLs, by URL."""
    now = timezone.now()
    found = pictures(output)
    with transaction.atomic():
        generation = Generation.objects.create(
            owner=user,
            model=endpoint,
            endpoint_id=endpoint.endpoint_id,
            mode=MODE,
            input=dict(params),
            status=Status.COMPLETED,
            submitted=now,
            started=now,
            finished=now,
        )
        images = []
        for position, picture in enumerate(found):
            data = picture.data or (downloaded or {}).get(picture.url, b"")
            if data:
                images.append(_store(generation, position, f"images.{position}", picture, data))
        if image_field and input_picture:
            data, content_type = input_picture
            item = Found(f"input.{image_field}", "data:", content_type)
            asset = store_asset(generation, len(images), item, data, content_type)
            generation.input = {**generation.input, image_field: asset.file.url}
        generation.output = {**summary(output), "images": images} if images else summary(output)
        generation.media_kind = OutputKind.IMAGE if images else ""
        generation.save(update_fields=["input", "output", "media_kind"])
        record_event(
            generation=generation,
            kind=EventKind.STATUS,
            payload={"status": Status.COMPLETED, "source": "realtime"},
        )
    return generation


def _store(
    generation: Generation, position: int, path: str, picture: Picture, data: bytes
) -> dict[str, Any]:
    item = Found(path, picture.url or "data:", picture.content_type)
    asset = store_asset(generation, position, item, data, picture.content_type)
    return {
        "url": asset.file.url,
        "width": asset.width,
        "height": asset.height,
        "content_type": asset.content_type,
    }
