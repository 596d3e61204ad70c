"""Media in a bucket stays private: the app serves it after its access checks (404 for
others' files), streamed from the store a chunk at a time, and the bucket grants nobody
but its owner anything."""

from __future__ import annotations

import os
import tracemalloc

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from playground.jobs.models import MediaAsset
from tests.gallery.conftest import finished, png_bytes
from tests.support import body

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture
def picture(s3_media, alice):
    return finished(alice, "a lighthouse").assets.get()


def test_files_in_a_bucket_have_the_apps_own_addresses(picture):
    assert picture.file.url == f"/media/{picture.file.name}"
    assert picture.file.name.startswith(f"generations/{picture.generation.code}/")
    assert type(default_storage._wrapped).__name__ == "PrivateS3Storage"


def test_the_owner_gets_the_file_streamed_from_the_bucket(client, alice, picture):
    client.force_login(alice)

    response = client.get(picture.file.url)

    assert response.status_code == 200
    assert response.streaming
    assert body(response) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=86400"


def test_an_outsider_gets_404_for_the_file_and_its_thumbnail(client, charlie, picture):
    client.force_login(charlie)

    assert client.get(picture.file.url).status_code == 404
    assert client.get(picture.thumbnail.url).status_code == 404


def test_someone_signed_out_is_sent_to_log_in(client, picture):
    response = client.get(picture.file.url)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_team_member_sees_a_file_posted_to_the_team(client, alice, bob, team, s3_media):
    asset = finished(alice, "for the team", team=team).assets.get()
    client.force_login(bob)

    assert body(client.get(asset.file.url)) == png_bytes()


def test_the_bucket_grants_nothing_to_anyone_else(picture, object_store):
    import boto3

    s3 = boto3.client("s3", endpoint_url=object_store.url, region_name="us-east-1")
    bucket = default_storage.bucket_name
    acl = s3.get_object_acl(Bucket=bucket, Key=picture.file.name)

    grantees = [grant["Grantee"] for grant in acl["Grants"]]
    assert all(grantee.get("Type") == "CanonicalUser" for grantee in grantees)
    assert all("URI" not in grantee for grantee in grantees)  # no AllUsers, no AuthenticatedUsers


def test_a_signed_url_is_short_lived_and_fetches_the_object(picture):
    url = default_storage.signed_url(picture.file.name)

    assert "Expires=" in url or "X-Amz-Expires=300" in url
    assert httpx.get(url).content == png_bytes()


def test_a_video_seeks_with_a_range_read_from_the_bucket(client, alice, s3_media):
    generation = finished(alice, "a clip", image=False)
    data = os.urandom(3 * MB)
    asset = MediaAsset(generation=generation, kind="video", content_type="video/mp4")
    asset.bytes, asset.sha256, asset.source_url = len(data), "0" * 64, "https://x/v.mp4"
    asset.file.save("00-video.mp4", ContentFile(data), save=True)
    client.force_login(alice)

    response = client.get(asset.file.url, headers={"Range": "bytes=2000000-2000009"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 2000000-2000009/{len(data)}"
    assert body(response) == data[2_000_000:2_000_010]


def test_a_big_file_is_served_without_holding_it_in_memory(client, alice, s3_media):
    generation = finished(alice, "a long clip", image=False)
    data = os.urandom(24 * MB)
    asset = MediaAsset(generation=generation, kind="video", content_type="video/mp4")
    asset.bytes, asset.sha256, asset.source_url = len(data), "0" * 64, "https://x/v.mp4"
    asset.file.save("00-video.mp4", ContentFile(data), save=True)
    client.force_login(alice)
    response = client.get(asset.file.url)

    tracemalloc.start()
    try:
        received = async_to_sync(_drain)(response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == len(data)
    assert peak < 4 * MB  # a 256 KB read buffer and one chunk in flight, not 24 MB


async def _drain(response) -> int:
    """Bytes of a streamed body, each chunk dropped once counted."""
    received = 0
    async for chunk in response.streaming_content:
        received += len(chunk)
    return received


def test_a_link_share_and_its_og_image_work_from_the_bucket_until_revoked(
    client, alice, picture, settings
):
    from django.test import Client
    from django.urls import reverse

    from playground.jobs.models import Generation

    settings.PUBLIC_BASE_URL = "https://play.example.com"
    client.force_login(alice)
    visibility = reverse("gallery:visibility", args=[picture.generation.code])
    client.post(visibility, {"visibility": "link"})
    token = Generation.objects.get(pk=picture.generation.pk).share_token
    visitor = Client()

    page = visitor.get(reverse("gallery:share", args=[token]))
    image = reverse("gallery:share_file", args=[token, "00-images-0.png"])
    assert f'<meta property="og:image" content="https://play.example.com{image}">' in page.text
    assert body(visitor.get(image)) == png_bytes()

    client.post(visibility, {"visibility": "private"})
    assert visitor.get(image).status_code == 404


def test_a_stored_object_reads_seeks_and_reopens_like_a_local_file(s3_media):
    data = os.urandom(600 * 1024)  # more than the 256 KB read buffer
    name = default_storage.save("generations/x/blob.bin", ContentFile(data))
    handle = default_storage.open(name, "rb")

    assert handle.size == len(data)
    assert handle.read(10) == data[:10]
    handle.seek(400_000)
    assert handle.tell() == 400_000
    assert handle.read(300_000) == data[400_000:]  # past the end: what there is
    assert handle.read(1) == b""
    handle.close()
    with handle.open("rb") as again:  # as FieldFile.open does after a close
        assert again.read() == data


def test_a_missing_object_is_file_not_found(s3_media):
    with pytest.raises(FileNotFoundError):
        default_storage.open("generations/x/gone.png", "rb")
