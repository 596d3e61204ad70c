"""Outputs copied into our storage: typed by their bytes, never decoded past the pixel limit,
and served from our origin without ever running as one of our pages."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from playground.gallery.actions import set_visibility
from playground.jobs.assets import Found, copy_assets, describe, store_asset
from playground.jobs.models import EventKind, MediaKind, Visibility
from tests.gallery.conftest import png_bytes
from tests.jobs.conftest import submit
from tests.support import HTML, SANDBOX, body, bomb_png

pytestmark = pytest.mark.django_db


def stored(generation, data: bytes, declared: str, path: str = "html"):
    item = Found(path, "https://v3.fal.media/files/x", declared)
    return store_asset(generation, 0, item, data, declared)


def assert_download(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def test_an_html_output_is_kept_as_html_and_served_only_as_a_download(client_alice, alice):
    generation = submit(alice)
    asset = stored(generation, HTML, "text/html")
    assert asset.content_type == "text/html"  # what it is, recorded as such
    response = client_alice.get(asset.file.url)
    assert_download(response)
    assert body(response) == HTML


def test_an_html_output_under_a_share_link_is_a_download_too(client, alice):
    generation = submit(alice)
    asset = stored(generation, HTML, "text/html")
    set_visibility(generation=generation, visibility=Visibility.LINK)
    name = asset.file.name.rsplit("/", 1)[-1]
    response = client.get(reverse("gallery:share_file", args=[generation.share_token, name]))
    assert_download(response)
    assert response["Cache-Control"] == "no-store"


def test_an_output_that_claims_to_be_a_picture_but_is_html_is_a_plain_file(client_alice, alice):
    generation = submit(alice)
    asset = stored(generation, HTML, "image/png", path="images.0")
    assert asset.kind == MediaKind.FILE
    assert asset.content_type == "application/octet-stream"
    assert_download(client_alice.get(asset.file.url))


def test_an_svg_output_is_a_download(client_alice, alice):
    generation = submit(alice)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    asset = stored(generation, svg, "image/svg+xml", path="images.0")
    assert_download(client_alice.get(asset.file.url))


def test_a_png_output_and_its_thumbnail_are_still_inline(client_alice, alice):
    generation = submit(alice)
    asset = stored(generation, png_bytes((40, 30)), "", path="images.0")
    picture = client_alice.get(asset.file.url)
    assert picture["Content-Type"] == "image/png"
    assert picture["Content-Disposition"].startswith("inline")
    assert picture["X-Content-Type-Options"] == "nosniff"
    thumbnail = client_alice.get(asset.thumbnail.url)
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail["Content-Disposition"].startswith("inline")


def test_a_huge_picture_is_described_from_its_header_alone(no_decoding):
    described = describe(bomb_png(), "image/png")
    assert described.kind == MediaKind.IMAGE and described.content_type == "image/png"
    assert described.thumbnail is None
    assert "144.0 megapixels; the limit is 40 megapixels" in described.note


def test_a_picture_just_over_the_limit_keeps_its_size(no_decoding, settings):
    settings.IMAGE_MAX_PIXELS = 30 * 30
    described = describe(png_bytes((40, 30)), "")
    assert (described.width, described.height) == (40, 30)
    assert described.thumbnail is None and "40x30 pixels" in described.note


class FakeFal:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    async def download(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        return self.files[url], "image/png"


class InThread:
    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await sync_to_async(fn)(*args, **kwargs)


@pytest.mark.django_db(transaction=True)
async def test_the_runner_keeps_a_huge_picture_without_preview_and_says_why(alice, no_decoding):
    generation = await sync_to_async(submit)(alice)
    fal = FakeFal({"https://v3.fal.media/files/huge.png": bomb_png()})
    output = {"images": [{"url": "https://v3.fal.media/files/huge.png"}]}
    pools = InThread()
    [asset] = await copy_assets(fal, generation, output, db=pools, files=pools)
    assert asset.kind == MediaKind.IMAGE and not asset.thumbnail
    events = await sync_to_async(list)(generation.events.filter(kind=EventKind.ERROR))
    assert len(events) == 1
    assert events[0].payload["path"] == "images.0"
    assert "stored without a preview" in events[0].payload["message"]
