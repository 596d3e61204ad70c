"""Copying outputs: fal's CDN (the emulator's own origin in local mode) is trusted; any
other URL, and every redirect, must reach a public address, or that file fails clearly."""

from __future__ import annotations

import io
from types import SimpleNamespace

import httpx
import pytest
from asgiref.sync import sync_to_async
from PIL import Image

from playground.fal.errors import FalURLRefused
from playground.jobs.models import EventKind, Status
from playground.jobs.runner import Runner
from playground.lib import egress
from playground.realtime.consumers import _download_urls
from tests.jobs.conftest import run_until_finished, submit
from tests.lib.egress_fakes import PUBLIC, Recorder, Resolver, redirect

pytestmark = pytest.mark.django_db(transaction=True)
EMULATOR = "http://emulator.test/localfal"
CDN = f"{EMULATOR}/cdn/files/0123456789abcdef0123456789abcdef"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def fake_emulator(request: httpx.Request) -> httpx.Response:
    """The emulator's run answer names four files; its CDN serves one and redirects one."""
    if request.url.path.startswith("/localfal/run/"):
        images = [
            f"{CDN}/moved.png",
            "http://10.0.0.7/x.png",
            "https://files.example/turns-private.png",
            f"{CDN}/kept.png",
        ]
        return httpx.Response(200, json={"images": [{"url": url} for url in images]})
    if request.url.path.endswith("/moved.png"):
        return redirect("http://169.254.169.254/latest/meta-data/")
    if request.url.path.endswith("/kept.png"):
        return httpx.Response(200, content=png(), headers={"Content-Type": "image/png"})
    return httpx.Response(404)


@pytest.fixture
def local_fal(settings):
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = EMULATOR


def copy_errors(generation) -> list[str]:
    events = generation.events.filter(kind=EventKind.ERROR).order_by("seq")
    return [event.payload["message"] for event in events]


async def test_outputs_leading_to_private_addresses_fail_each_file_clearly(
    local_fal, alice, monkeypatch
):
    network = Recorder(redirect("http://127.0.0.1:6379/"))
    monkeypatch.setattr(egress, "pinned_async_transport", network.transport)
    monkeypatch.setattr(egress, "resolve_host", Resolver(files_example=[PUBLIC]))
    generation = await sync_to_async(submit)(alice, mode="run")
    runner = Runner(transport=httpx.MockTransport(fake_emulator))

    [done] = await run_until_finished(runner, [generation.code])

    assert done.status == Status.COMPLETED, done.error
    assets = await sync_to_async(list)(done.assets.all())
    assert [(a.output_path, a.width) for a in assets] == [("images.3", 8)]
    assert await sync_to_async(copy_errors)(done) == [
        "Could not copy images.0: 169.254.169.254 is not a public address:"
        " http://169.254.169.254/latest/meta-data/ is not fetched",
        "Could not copy images.1: 10.0.0.7 is not a public address:"
        " http://10.0.0.7/x.png is not fetched",
        "Could not copy images.2: 127.0.0.1 is not a public address:"
        " http://127.0.0.1:6379/ is not fetched",
    ]
    assert network.addresses == [PUBLIC]  # the one public hop; nothing private was reached


async def test_save_frame_refuses_an_output_url_on_a_private_address(local_fal):
    kept = SimpleNamespace(output={"images": [{"url": "http://127.0.0.1:6379/frame.jpg"}]})
    with pytest.raises(FalURLRefused, match=r"127\.0\.0\.1 is not a public address"):
        await _download_urls(kept, None)
