from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from playground.catalog.models import Endpoint
from playground.jobs import actions
from playground.jobs.models import FINISHED, Generation
from playground.jobs.runner import Runner

SMALL = {"prompt": "a fox", "image_size": {"width": 64, "height": 48}}


class FaultHeaders(httpx.AsyncBaseTransport):
    """Adds an X-Localfal-Fault header (with its own counter key) to every request."""

    def __init__(self, rules: str) -> None:
        self.rules = f"{rules},key={uuid.uuid4()}" if rules else ""
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.rules:
            request.headers["X-Localfal-Fault"] = self.rules
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, path_part: str) -> int:
        return sum(1 for r in self.sent if r.method == method and path_part in r.url.path)


@pytest.fixture
def emulator(live_app, settings):
    """The runner's fal is the live server's emulator."""
    settings.LOCALFAL_URL = live_app.localfal
    settings.FAL_MODE = "local"
    settings.RUNNER_STATUS_POLL_SECONDS = 0.05
    settings.RUNNER_RETRY_BASE_SECONDS = 0.1
    return live_app


def submit(user, endpoint_id: str = "fal-ai/flux/schnell", data=None, mode: str = "queue"):
    endpoint = Endpoint.objects.get(endpoint_id=endpoint_id)
    return actions.submit_generation(user=user, endpoint=endpoint, input=data or SMALL, mode=mode)


def stored_image(generation, source_url: str = "https://v3.fal.media/files/out.png"):
    """A small stored image output of `generation` (as the runner would have copied it)."""
    from django.core.files.base import ContentFile

    from playground.jobs.models import MediaAsset

    asset = MediaAsset(
        generation=generation,
        kind="image",
        source_url=source_url,
        content_type="image/png",
        bytes=3,
        sha256="0" * 64,
    )
    asset.file.save("00-images-0.png", ContentFile(b"png"), save=True)
    return asset


async def run_until_finished(
    runner: Runner, codes: list, timeout: float = 30.0
) -> list[Generation]:
    """Run `runner` until every generation is finished (or the timeout), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while True:
                rows = await sync_to_async(_rows)(codes)
                if all(row.status in FINISHED for row in rows):
                    return rows
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


def _rows(codes: list) -> list[Generation]:
    order = {str(code): i for i, code in enumerate(codes)}
    rows = list(Generation.objects.filter(code__in=codes))
    return sorted(rows, key=lambda g: order[str(g.code)])


User = get_user_model()
