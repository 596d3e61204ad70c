"""Inputs naming files of our own storage reach the backend as URLs it can fetch (D05)."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from PIL import Image

from playground.catalog.models import Endpoint
from playground.jobs.inputs import fetchable_input, own_file, own_files
from playground.jobs.models import Generation, Status
from playground.jobs.runner import Runner
from playground.realtime.actions import save_frame
from tests.jobs.conftest import FaultHeaders, run_until_finished

pytestmark = pytest.mark.django_db(transaction=True)
LCM = "fal-ai/lcm-sd15-i2i"
CODE = "0b6c7f7e-6c53-4bde-9d0e-1f2a3b4c5d6e"
KEY = "0123456789abcdef0123456789abcdef"


def jpeg(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def saved_frame(user) -> Generation:
    """A realtime frame saved as a generation: its input picture is a relative URL."""
    endpoint = Endpoint.objects.get(endpoint_id=LCM)
    return save_frame(
        user=user,
        endpoint=endpoint,
        params={"prompt": "a red barn", "seed": 7},
        image_field="image_url",
        input_picture=(jpeg(), "image/jpeg"),
        output={"images": [{"content": jpeg("blue"), "content_type": "image/jpeg"}]},
    )


@pytest.mark.parametrize(
    "url",
    [
        f"/media/generations/{CODE}/01-input.jpg",
        f"http://localhost:8000/media/generations/{CODE}/01-input.jpg",
        f"/localfal/cdn/files/{KEY}/a.png",
        f"http://127.0.0.1/localfal/cdn/files/{KEY}/a.png",
    ],
)
def test_urls_of_our_own_storage_are_recognised(url):
    assert own_file(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        f"https://evil.example/media/generations/{CODE}/01-input.jpg",
        f"//localhost/media/generations/{CODE}/01-input.jpg",
        "https://v3.fal.media/files/out.png",
        "/media/other/file.png",
        f"/media/generations/{CODE}/../../secret",
        "data:image/png;base64,AAAA",
        "a red barn",
    ],
)
def test_other_urls_and_text_are_left_alone(url):
    assert own_file(url) is None


def test_the_public_address_is_ours_even_when_any_host_is_allowed(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PUBLIC_BASE_URL = "https://studio.example.org"
    assert own_file(f"https://studio.example.org/media/generations/{CODE}/a.png")
    assert own_file(f"https://elsewhere.example/media/generations/{CODE}/a.png") is None


def test_own_urls_are_found_at_any_depth_once_each():
    url = f"/media/generations/{CODE}/01-input.jpg"
    value = {"image_url": url, "refs": [{"image_url": url}, "x"], "n": 3}
    assert [item.url for item in own_files(value)] == [url]


async def test_an_asset_url_is_uploaded_and_replaced_and_the_stored_input_kept(alice, settings):
    settings.FAL_MODE = "fal"
    generation = await sync_to_async(saved_frame)(alice)
    relative = generation.input["image_url"]
    assert relative.startswith("/media/generations/")
    uploads = []

    async def upload(data: bytes, content_type: str, name: str) -> str:
        uploads.append((data[:3], content_type))
        return "https://v3.fal.media/files/uploaded.jpg"

    async def in_thread(fn, *args):
        return await sync_to_async(fn)(*args)

    sent = await fetchable_input(
        {**generation.input, "extra": [relative]},
        owner_id=alice.pk,
        upload=upload,
        in_thread=in_thread,
    )
    assert sent["image_url"] == sent["extra"][0] == "https://v3.fal.media/files/uploaded.jpg"
    assert uploads == [(b"\xff\xd8\xff", "image/jpeg")]  # one upload for both places
    assert sent["prompt"] == "a red barn"


async def test_emulator_files_by_relative_path_become_absolute_in_emulator_mode(settings):
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = "http://127.0.0.1:9999/localfal"

    async def never(*args):
        raise AssertionError("no upload needed")

    sent = await fetchable_input(
        {"image_url": f"/localfal/cdn/files/{KEY}/a.png"},
        owner_id=1,
        upload=never,
        in_thread=never,
    )
    assert sent == {"image_url": f"http://127.0.0.1:9999/localfal/cdn/files/{KEY}/a.png"}


async def test_rerun_of_a_saved_realtime_frame_completes(emulator, alice):
    generation = await sync_to_async(saved_frame)(alice)
    client = Client()
    await sync_to_async(client.force_login)(alice)
    response = await sync_to_async(client.post)(f"/generations/{generation.code}/rerun")
    assert response.status_code == 302
    new = await sync_to_async(Generation.objects.exclude(pk=generation.pk).get)()
    assert new.input["image_url"] == generation.input["image_url"]
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [new.code])
    assert done.status == Status.COMPLETED, done.error
    assert done.input["image_url"] == generation.input["image_url"]  # kept as given


async def test_an_outsiders_file_is_never_sent_and_the_run_says_why(emulator, alice, charlie):
    generation = await sync_to_async(saved_frame)(alice)
    endpoint = await sync_to_async(Endpoint.objects.get)(endpoint_id=LCM)
    from playground.jobs.actions import submit_generation

    stolen = await sync_to_async(submit_generation)(
        user=charlie, endpoint=endpoint, input=dict(generation.input), mode="queue"
    )
    transport = FaultHeaders("")
    [done] = await run_until_finished(Runner(transport=transport), [stolen.code])
    assert done.status == Status.FAILED
    assert "not available to you" in done.error["message"]
    assert transport.count("POST", "/queue/") == 0


def test_reuse_of_a_saved_frame_fills_and_previews_its_picture(alice):
    generation = saved_frame(alice)
    client = Client()
    client.force_login(alice)
    page = client.get(f"/models/{LCM}/", {"from": generation.code}).text
    relative = generation.input["image_url"]
    assert f'value="{relative}"' in page
    assert f'<img src="{relative}"' in page  # our own file: previewed
    answer = client.post(f"/models/{LCM}/payload", {"image_url": relative, "prompt": "x"})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["input"]["image_url"] == relative
