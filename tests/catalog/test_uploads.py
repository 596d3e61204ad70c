"""Uploads for file inputs: stored through the fal client, answered with a public URL."""

from __future__ import annotations

import functools
import io
import json

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from playground.catalog.views import uploads
from playground.fal.config import client_from_settings
from playground.fal.retry import RetryPolicy
from tests.support import bomb_png

pytestmark = pytest.mark.django_db
UPLOAD_URL = reverse("catalog:upload")


def png_bytes(size: tuple[int, int] = (24, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 60, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, data: bytes, name: str, content_type: str, query: str = ""):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(UPLOAD_URL + query, {"file": file})


@pytest.fixture
def fake_storage(monkeypatch):
    """The fal client as in production, over an in-memory transport playing fal's storage."""
    stored: dict[str, bytes] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/storage/upload/initiate"):
            name = json.loads(request.content)["file_name"]
            return httpx.Response(
                200,
                json={
                    "upload_url": f"http://fal.test/put/{name}",
                    "file_url": f"http://fal.test/files/{name}",
                },
            )
        if request.method == "PUT":
            stored[request.url.path.rsplit("/", 1)[-1]] = request.content
            return httpx.Response(200)
        return httpx.Response(404)

    monkeypatch.setattr(
        uploads,
        "client_from_settings",
        functools.partial(client_from_settings, transport=httpx.MockTransport(handler)),
    )
    return stored


def test_an_uploaded_png_downloads_from_the_emulator_unchanged(client_alice, live_app, settings):
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = live_app.localfal
    data = png_bytes()

    response = upload(client_alice, data, "fox.png", "image/png", "?media=image")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["url"].startswith(live_app.localfal + "/cdn/files/")
    assert body["content_type"] == "image/png"
    assert body["name"] == "fox.png"
    fetched = httpx.get(body["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == data


def test_the_content_type_is_sniffed_not_trusted(client_alice, fake_storage):
    response = upload(client_alice, png_bytes(), "photo.jpg", "image/jpeg", "?media=image")

    assert response.status_code == 200
    assert response.json()["content_type"] == "image/png"
    assert fake_storage["photo.jpg"] == png_bytes()


def test_a_non_image_is_refused_where_an_image_is_expected(client_alice, fake_storage):
    data = b"%PDF-1.7 not an image"

    response = upload(client_alice, data, "doc.png", "image/png", "?media=image")

    assert response.status_code == 400
    assert "not an image" in response.json()["error"]
    assert fake_storage == {}


def test_other_files_are_stored_with_their_declared_type(client_alice, fake_storage):
    data = b"ID3\x03\x00fake mp3"

    response = upload(client_alice, data, "voice.mp3", "audio/mpeg", "?media=audio")

    assert response.status_code == 200
    assert response.json()["content_type"] == "audio/mpeg"


def test_an_image_is_not_an_audio_file(client_alice, fake_storage):
    response = upload(client_alice, png_bytes(), "voice.png", "image/png", "?media=audio")

    assert response.status_code == 400
    assert "audio" in response.json()["error"]


def test_too_large_files_get_a_clear_413(client_alice, fake_storage, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1024)

    response = upload(client_alice, b"x" * 2048, "big.bin", "application/octet-stream")

    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert fake_storage == {}


def test_a_request_announcing_more_than_the_limit_is_refused_before_reading(client_alice):
    response = client_alice.post(
        UPLOAD_URL, b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="999999999"
    )

    assert response.status_code == 413


def test_a_post_without_a_file_is_a_400(client_alice):
    response = client_alice.post(UPLOAD_URL, {"other": "value"})

    assert response.status_code == 400
    assert response.json()["error"]


def test_storage_failures_are_a_502_with_a_plain_message(client_alice, monkeypatch):
    transport = httpx.MockTransport(lambda request: httpx.Response(500, json={"detail": "boom"}))
    monkeypatch.setattr(
        uploads,
        "client_from_settings",
        functools.partial(
            client_from_settings, transport=transport, retry=RetryPolicy(max_retries=0)
        ),
    )

    response = upload(client_alice, png_bytes(), "fox.png", "image/png")

    assert response.status_code == 502
    assert response.json() == {
        "error": "The file could not be stored right now. Try again in a moment."
    }


def test_anonymous_uploads_are_refused(client, fake_storage):
    response = upload(client, png_bytes(), "fox.png", "image/png")

    assert response.status_code == 403
    assert fake_storage == {}


def test_uploads_are_remembered_for_the_recent_picker(client_alice, fake_storage):
    upload(client_alice, png_bytes(), "first.png", "image/png")
    upload(client_alice, png_bytes((8, 8)), "second.png", "image/png")

    html = client_alice.get(reverse("catalog:model", args=["fal-ai/image-editing/cartoonify"]))
    recent = html.content.decode().split('id="recent-uploads"', 1)[1]
    assert recent.index("second.png") < recent.index("first.png")
    assert "http://fal.test/files/second.png" in recent


@pytest.mark.parametrize("query", ["?media=image", ""])
def test_a_huge_picture_is_refused_with_a_clear_400_before_decoding(
    client_alice, fake_storage, no_decoding, query
):
    response = upload(client_alice, bomb_png(), "small-file.png", "image/png", query)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "The image has 144.0 megapixels; the limit is 40 megapixels. "
        "Scale it down and upload it again."
    )
    assert fake_storage == {}


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_uploads_past_the_hourly_limit_get_a_clear_429(
    client_alice, fake_storage, settings, fresh_cache, django_user_model
):
    settings.UPLOADS_PER_HOUR = 2
    for number in range(2):
        assert upload(client_alice, png_bytes(), f"{number}.png", "image/png").status_code == 200

    refused = upload(client_alice, png_bytes(), "2.png", "image/png")

    assert refused.status_code == 429
    assert refused.json()["error"].startswith("You have made 2 uploads this hour, the limit.")
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "2.png" not in fake_storage
    client_alice.force_login(django_user_model.objects.create_user("dora"))
    assert upload(client_alice, png_bytes(), "3.png", "image/png").status_code == 200


def test_an_upload_to_this_servers_own_emulator_is_named_by_the_browsers_origin(
    client_alice, settings, monkeypatch
):
    """On a public server the emulator's own address (127.0.0.1:<port>) means nothing to a
    browser elsewhere: the file's URL uses the origin the browser came in on."""
    from playground.localfal import address

    settings.FAL_MODE, settings.LOCALFAL_URL = "local", ""
    address.forget()
    address.learn({"type": "http", "server": ("127.0.0.1", 5123)})
    monkeypatch.setattr(uploads, "client_from_settings", lambda **kwargs: FakeEmulatorStorage())
    try:
        response = upload(client_alice, png_bytes(), "fox.png", "image/png", "?media=image")
    finally:
        address.forget()
    assert response.status_code == 200, response.content
    assert response.json()["url"] == "http://testserver/localfal/cdn/files/" + "a" * 32 + "/fox.png"


class FakeEmulatorStorage:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def upload(self, data, content_type, name):
        from playground.localfal.address import emulator_url

        return f"{emulator_url()}/cdn/files/{'a' * 32}/{name}"
