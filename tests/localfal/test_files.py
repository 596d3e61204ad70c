"""The emulator's CDN as an attacker would use it: live HTML, huge pictures, endless parts,
files kept forever. Through Django's async test client, with the install key."""

from __future__ import annotations

import base64
import gc
import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import AsyncClient

from playground.localfal import files, media, uploads
from playground.localfal.engine import reset_engine
from tests.support import HTML, SANDBOX, SVG, abody, bomb_png, emulator_key

INITIATE = "/localfal/rest/storage/upload/initiate?storage_type=fal-cdn-v3"
INITIATE_MULTIPART = "/localfal/rest/storage/upload/initiate-multipart?storage_type=fal-cdn-v3"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def fresh_state():
    reset_engine()
    uploads.uploads.clear()
    files.store.reset()
    yield
    reset_engine()
    uploads.uploads.clear()
    files.store.reset()


async def initiate(client: AsyncClient, name: str, content_type: str, url: str = INITIATE):
    response = await client.post(
        url,
        json.dumps({"file_name": name, "content_type": content_type}),
        content_type="application/json",
        headers=emulator_key(),
    )
    return response


async def upload(client: AsyncClient, name: str, data: bytes, content_type: str) -> str:
    target = (await initiate(client, name, content_type)).json()
    put = await client.put(target["upload_url"], data, content_type=content_type)
    assert put.status_code == 200, put.content
    return target["file_url"]


def incoming() -> list[Path]:
    folder = uploads.incoming_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


# -- serving --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("page.html", HTML, "text/html"), ("logo.svg", SVG, "image/svg+xml")],
)
async def test_uploaded_html_and_svg_are_downloads_that_never_run(name, data, content_type):
    client = AsyncClient()
    file_url = await upload(client, name, data, content_type)
    served = await client.get(file_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"] == f'attachment; filename="{name}"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == SANDBOX
    assert await abody(served) == data


async def test_an_uploaded_png_is_still_served_inline():
    client = AsyncClient()
    file_url = await upload(client, "red.png", b"\x89PNG\r\n\x1a\nrest", "image/png")
    served = await client.get(file_url)
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == SANDBOX
    partial = await client.get(file_url, headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and await abody(partial) == b"\x89PNG"


# -- bodies on disk, with caps --------------------------------------------------------------
async def test_a_single_upload_goes_to_storage_in_chunks_not_whole(settings):
    client = AsyncClient()
    target = (await initiate(client, "big.bin", "application/octet-stream")).json()
    data = os.urandom(16 * MB)
    tracemalloc.start()
    try:
        put = await client.put(target["upload_url"], data, content_type="application/octet-stream")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert put.status_code == 200
    # The test client's own copy of the body is 16 MB; reading it whole would add 16 more.
    # A bucket (TEST_STORAGE=s3) takes it in parts, one of S3's smallest (5 MB) at a time.
    part = 5 * MB if os.environ.get("TEST_STORAGE") == "s3" else 0
    assert peak < len(data) + 6 * MB + part
    assert await abody(await client.get(target["file_url"])) == data


async def test_multipart_parts_wait_on_disk_and_are_joined_in_order():
    client = AsyncClient()
    target = (await initiate(client, "clip.mp4", "video/mp4", INITIATE_MULTIPART)).json()
    first, second = os.urandom(4 * MB), os.urandom(3 * MB)
    # Only memory allocated with the product's code on the stack counts: the test client
    # keeps copies of request bodies of its own, for as long as it likes.
    ours = [tracemalloc.Filter(True, "*/playground/*", all_frames=True)]
    tracemalloc.start(30)
    try:
        before = tracemalloc.take_snapshot().filter_traces(ours)
        for number, part in ((2, second), (1, first)):
            put = await client.put(f"{target['upload_url']}/{number}", part)
            assert put.status_code == 200 and put["ETag"]
            del put
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert kept < MB  # the 7 MB of parts are not held in memory...
    assert sorted(p.stat().st_size for p in incoming()) == [3 * MB, 4 * MB]  # ...but on disk
    parts = [{"partNumber": 1, "etag": "a"}, {"partNumber": 2, "etag": "b"}]
    done = await client.post(
        f"{target['upload_url']}/complete", json.dumps({"parts": parts}), "application/json"
    )
    assert done.json()["file_url"] == target["file_url"]
    assert await abody(await client.get(target["file_url"])) == first + second
    assert incoming() == []


async def test_a_part_over_the_part_cap_is_413_and_not_kept(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PART_BYTES", 1000)
    client = AsyncClient()
    target = (
        await initiate(client, "a.bin", "application/octet-stream", INITIATE_MULTIPART)
    ).json()
    put = await client.put(f"{target['upload_url']}/1", b"x" * 1001)
    assert put.status_code == 413
    assert "A part is larger than this emulator accepts" in put.json()["detail"]
    assert incoming() == []


async def test_parts_adding_up_past_the_upload_cap_are_413(settings):
    settings.LOCALFAL_MAX_UPLOAD_BYTES = 3000
    client = AsyncClient()
    target = (
        await initiate(client, "a.bin", "application/octet-stream", INITIATE_MULTIPART)
    ).json()
    assert (await client.put(f"{target['upload_url']}/1", b"x" * 2000)).status_code == 200
    refused = await client.put(f"{target['upload_url']}/2", b"y" * 2000)
    assert refused.status_code == 413
    assert "The upload is larger than this emulator accepts" in refused.json()["detail"]
    assert [p.stat().st_size for p in incoming()] == [2000]


@pytest.mark.parametrize("number", [0, 1001])
async def test_part_numbers_outside_the_range_are_400(number):
    client = AsyncClient()
    target = (
        await initiate(client, "a.bin", "application/octet-stream", INITIATE_MULTIPART)
    ).json()
    refused = await client.put(f"{target['upload_url']}/{number}", b"x")
    assert refused.status_code == 400 and "partNumber" in refused.json()["detail"]


async def test_a_body_over_the_cap_is_413_and_nothing_is_stored(settings):
    settings.LOCALFAL_MAX_UPLOAD_BYTES = 1000
    client = AsyncClient()
    target = (await initiate(client, "a.bin", "application/octet-stream")).json()
    refused = await client.put(target["upload_url"], b"x" * 5000)
    assert refused.status_code == 413
    assert (await client.get(target["file_url"])).status_code == 404
    assert incoming() == []


async def test_open_upload_urls_are_capped(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PENDING", 3)
    client = AsyncClient()
    for _ in range(3):
        assert (await initiate(client, "a.png", "image/png")).status_code == 200
    refused = await initiate(client, "a.png", "image/png")
    assert refused.status_code == 429
    assert "Too many uploads in progress" in refused.json()["detail"]


async def test_an_expired_upload_url_takes_its_parts_with_it():
    client = AsyncClient()
    target = (
        await initiate(client, "a.bin", "application/octet-stream", INITIATE_MULTIPART)
    ).json()
    assert (await client.put(f"{target['upload_url']}/1", b"x" * 100)).status_code == 200
    token = target["upload_url"].rsplit("/", 1)[-1]
    uploads.uploads.get(token).created -= uploads.UploadBook.TTL + 1
    uploads.uploads.expire()
    assert incoming() == []
    assert (await client.put(f"{target['upload_url']}/2", b"x")).status_code == 404


# -- quota and expiry -------------------------------------------------------------------------
async def test_uploads_past_the_storage_quota_are_507(settings):
    settings.LOCALFAL_STORAGE_QUOTA_BYTES = 1000
    client = AsyncClient()
    await upload(client, "one.bin", b"x" * 800, "application/octet-stream")
    target = (await initiate(client, "two.bin", "application/octet-stream")).json()
    full = await client.put(target["upload_url"], b"y" * 800)
    assert full.status_code == 507
    assert "storage is full" in full.json()["detail"]
    await upload(client, "three.bin", b"z" * 200, "application/octet-stream")
    refused = await initiate(client, "four.bin", "application/octet-stream")
    assert refused.status_code == 507


@pytest.mark.skipif(
    os.environ.get("TEST_STORAGE") == "s3", reason="ages a file by its mtime on local disk"
)
async def test_expired_files_are_gone_and_swept_away(settings):
    settings.LOCALFAL_FILE_TTL_DAYS = 1
    client = AsyncClient()
    old_url = await upload(client, "old.png", b"\x89PNG old", "image/png")
    new_url = await upload(client, "new.png", b"\x89PNG new", "image/png")
    old_key = old_url.split("/")[-2]
    path = Path(django_settings.MEDIA_ROOT) / files.storage_path(old_key, "old.png")
    two_days_ago = time.time() - 2 * 86400
    os.utime(path, (two_days_ago, two_days_ago))
    assert (await client.get(old_url)).status_code == 404
    with pytest.raises(files.InputFileError):
        files.fetch_input(old_url)  # nor can a model read it
    assert files.sweep() == len(b"\x89PNG new")
    assert not path.exists() and not path.parent.exists()
    assert (await client.get(new_url)).status_code == 200


# -- pictures too large to decode ---------------------------------------------------------------
def test_a_huge_picture_is_refused_before_decoding(no_decoding):
    with pytest.raises(media.InputTooLarge, match=r"144\.0 megapixels; the limit is 40"):
        media.load_image(bomb_png())


def test_a_video_with_huge_frames_is_refused_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 90
    clip = media.make_video("a", 1, 160, 96, 0.5, fps=4)
    with pytest.raises(media.InputTooLarge, match="160x96"):
        media.video_still(clip)


@pytest.mark.django_db(transaction=True)
async def test_the_edit_endpoint_answers_422_image_too_large_without_decoding(no_decoding):
    picture = "data:image/png;base64," + base64.b64encode(bomb_png()).decode()
    response = await AsyncClient().post(
        "/localfal/run/fal-ai/image-editing/cartoonify",
        json.dumps({"image_url": picture}),
        content_type="application/json",
        headers=emulator_key(),
    )
    assert response.status_code == 422
    assert response["X-Fal-Error-Type"] == "image_too_large"
    assert "the limit is 40 megapixels" in response.json()["detail"][0]["msg"]
