"""Hostile files against a real server (daphne, DEBUG off): script served from our origin,
decompression bombs, endless multipart parts, storage filled for free.

Upload URLs are signed and need no key once handed out, so anyone holding one (or
guessing at them) sends what is below; uploads themselves start with the install key.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from tests.support import HTML, SANDBOX, SVG, bomb_png, emulator_key, use_media_of

MB = 1024 * 1024


def initiate(base: str, name: str, content_type: str, *, multipart: bool = False) -> dict:
    kind = "initiate-multipart" if multipart else "initiate"
    response = httpx.post(
        f"{base}/rest/storage/upload/{kind}?storage_type=fal-cdn-v3",
        json={"file_name": name, "content_type": content_type},
        headers=emulator_key(),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def upload(base: str, name: str, data: bytes, content_type: str) -> str:
    target = initiate(base, name, content_type)
    put = httpx.put(target["upload_url"], content=data, headers={"Content-Type": content_type})
    assert put.status_code == 200, put.text
    return target["file_url"]


def assert_never_rendered(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == SANDBOX


# -- script served from our origin ----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("page.html", HTML, "text/html"),
        ("page.htm", HTML, "text/html"),
        ("logo.svg", SVG, "image/svg+xml"),
        ("page.xhtml", HTML, "application/xhtml+xml"),
        ("script.js", b"alert(1)", "text/javascript"),
        ("noextension", HTML, "text/html"),
    ],
)
def test_uploaded_pages_and_scripts_are_never_served_as_such(live_app, name, data, content_type):
    file_url = upload(live_app.localfal, name, data, content_type)
    assert file_url.startswith(live_app.url)  # the app's own origin
    assert_never_rendered(httpx.get(file_url))


def test_html_named_as_a_picture_stays_a_picture_that_browsers_cannot_run(live_app):
    file_url = upload(live_app.localfal, "cat.png", HTML, "image/png")
    served = httpx.get(file_url)
    assert served.headers["content-type"] == "image/png"  # with nosniff: a broken picture
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == SANDBOX


def test_the_python_clients_cdn_path_serves_html_as_a_download_too(live_app):
    token = httpx.post(
        f"{live_app.localfal}/rest/storage/auth/token?storage_type=fal-cdn-v3",
        json={},
        headers=emulator_key(),
    ).json()
    stored = httpx.post(
        f"{token['base_url']}/files/upload",
        content=HTML,
        headers={
            "Authorization": f"Bearer {token['token']}",
            "Content-Type": "text/html",
            "X-Fal-File-Name": "evil.html",
        },
    )
    assert stored.status_code == 200, stored.text
    assert_never_rendered(httpx.get(stored.json()["access_url"]))


@pytest.mark.django_db(transaction=True)
def test_a_shared_html_output_is_a_download_for_anyone(live_app, alice, settings):
    from django.core.files.base import ContentFile

    from playground.gallery.actions import set_visibility
    from playground.jobs.models import MediaAsset, Visibility
    from tests.jobs.conftest import submit

    use_media_of(live_app, settings)  # the live server's storage
    generation = submit(alice)
    asset = MediaAsset(
        generation=generation,
        kind="text",
        source_url="https://v3.fal.media/files/x.html",
        content_type="text/html",
        bytes=len(HTML),
        sha256="0" * 64,
    )
    asset.file.save("00-page.html", ContentFile(HTML), save=True)
    set_visibility(generation=generation, visibility=Visibility.LINK)
    name = Path(asset.file.name).name
    served = httpx.get(f"{live_app.url}/s/{generation.share_token}/files/{name}")
    assert_never_rendered(served)
    assert served.content == HTML


def test_a_png_is_still_inline_and_seekable(live_app):
    file_url = upload(live_app.localfal, "red.png", b"\x89PNG\r\n\x1a\n" + b"x" * 100, "image/png")
    whole = httpx.get(file_url)
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["content-disposition"].startswith("inline")
    part = httpx.get(file_url, headers={"Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == b"PNG"


# -- decompression bombs ----------------------------------------------------------------------
def edit(base: str, image_url: str) -> httpx.Response:
    return httpx.post(
        f"{base}/run/fal-ai/image-editing/cartoonify",
        json={"image_url": image_url},
        headers=emulator_key(),
        timeout=60,
    )


def test_a_140_kb_png_of_144_megapixels_is_refused_not_decoded(live_app):
    picture = "data:image/png;base64," + base64.b64encode(bomb_png()).decode()
    response = edit(live_app.localfal, picture)
    assert response.status_code == 422
    assert response.headers["x-fal-error-type"] == "image_too_large"
    assert "the limit is 40 megapixels" in response.json()["detail"][0]["msg"]
    assert httpx.get(f"{live_app.url}/healthz").status_code == 200


def test_a_bomb_uploaded_to_the_cdn_is_refused_when_a_model_reads_it(live_app):
    file_url = upload(live_app.localfal, "small.png", bomb_png(), "image/png")
    response = edit(live_app.localfal, file_url)
    assert response.status_code == 422
    assert response.headers["x-fal-error-type"] == "image_too_large"


# -- endless parts, storage for free ----------------------------------------------------------
@pytest.fixture(scope="module")
def small_emulator(django_db_setup, django_db_blocker, tmp_path_factory):
    """A live server whose emulator takes 1 MB per upload and holds 3 MB in all."""
    from tests.conftest import _live_server

    data_dir = tmp_path_factory.mktemp("live-small")
    with _live_server(
        django_db_blocker,
        data_dir,
        RUNNER_EMBEDDED="0",
        LOCALFAL_MAX_UPLOAD_BYTES=str(MB),
        LOCALFAL_STORAGE_QUOTA_BYTES=str(3 * MB),
        name="small-emulator",
    ) as server:
        yield server


def test_a_part_bigger_than_an_upload_may_be_is_413(small_emulator):
    target = initiate(small_emulator.localfal, "a.bin", "application/octet-stream", multipart=True)
    refused = httpx.put(f"{target['upload_url']}/1", content=b"x" * (MB + 1))
    assert refused.status_code == 413
    # Refused as it arrives, by the body limit of the route (lib/bodylimit.py).
    assert "the limit here is 1 MB" in refused.json()["detail"]


def test_parts_that_add_up_past_the_cap_are_413(small_emulator):
    target = initiate(small_emulator.localfal, "a.bin", "application/octet-stream", multipart=True)
    for number in (1, 2):
        assert httpx.put(f"{target['upload_url']}/{number}", content=b"x" * (MB // 2)).is_success
    refused = httpx.put(f"{target['upload_url']}/3", content=b"x")
    assert refused.status_code == 413


@pytest.mark.parametrize("number", ["0", "1001", "99999999999999999999"])
def test_part_numbers_out_of_range_are_refused(small_emulator, number):
    target = initiate(small_emulator.localfal, "a.bin", "application/octet-stream", multipart=True)
    refused = httpx.put(f"{target['upload_url']}/{number}", content=b"x")
    assert refused.status_code in (400, 404)
    assert refused.headers["content-type"] == "application/json"


def test_made_up_upload_urls_are_404(small_emulator):
    base = small_emulator.localfal
    assert httpx.put(f"{base}/cdn/upload/made-up", content=b"x").status_code == 404
    assert httpx.put(f"{base}/cdn/multipart/made-up/1", content=b"x").status_code == 404
    done = httpx.post(f"{base}/cdn/multipart/made-up/complete", json={"parts": []})
    assert done.status_code == 404


def test_storage_stops_at_its_quota_with_a_clear_507(small_emulator):
    base = small_emulator.localfal

    def put(size: int) -> httpx.Response:
        target = initiate(base, "filler.bin", "application/octet-stream")
        return httpx.put(target["upload_url"], content=b"x" * size)

    assert [put(MB - 100).status_code for _ in range(3)] == [200, 200, 200]
    full = put(301)  # 300 bytes of room are left
    assert full.status_code == 507
    assert "storage is full" in full.json()["detail"]
    assert put(300).status_code == 200
    refused = httpx.post(
        f"{base}/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
        json={"file_name": "more.bin", "content_type": "application/octet-stream"},
        headers=emulator_key(),
    )
    assert refused.status_code == 507
    assert "storage is full" in json.loads(refused.content)["detail"]
