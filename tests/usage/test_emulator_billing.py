"""The emulator answers `x-fal-billable-units` as fal does, in the endpoint's pricing unit,
on sync runs and queue results."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

from playground.localfal.engine import get_engine, reset_engine

KEY = {"Authorization": "Key local:test"}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_engine():
    reset_engine()
    yield
    reset_engine()


async def run(endpoint_id: str, data: dict):
    return await AsyncClient().post(
        f"/localfal/run/{endpoint_id}", json.dumps(data),
        content_type="application/json", headers=KEY,
    )  # fmt: skip


async def test_a_sync_run_bills_megapixels_of_the_images_made():
    # flux/schnell is priced per megapixel: two 1536 x 1024 images are 2 x 2 megapixels.
    size = {"width": 1536, "height": 1024}
    response = await run(
        "fal-ai/flux/schnell", {"prompt": "a fox", "image_size": size, "num_images": 2}
    )
    assert response.status_code == 200
    assert len(response.json()["images"]) == 2
    assert response["x-fal-billable-units"] == "4"


async def test_a_queue_result_bills_the_images_made():
    client = AsyncClient()
    submitted = await client.post(
        "/localfal/queue/fal-ai/recraft/v3/text-to-image",
        json.dumps({"prompt": "a lighthouse", "image_size": "square"}),
        content_type="application/json", headers=KEY,
    )  # fmt: skip
    handle = submitted.json()
    await get_engine().wait(handle["request_id"])

    result = await client.get(handle["response_url"], headers=KEY)

    assert result.status_code == 200
    assert result["x-fal-billable-units"] == "1"  # recraft is priced per image
    assert "x-fal-billable-units" not in submitted  # only what was made is billed


async def test_video_bills_the_seconds_asked_for_and_speech_its_characters():
    video = await run("fal-ai/veo3", {"prompt": "waves", "duration": "8s"})
    assert video.status_code == 200, video.content
    assert video["x-fal-billable-units"] == "8"
    speech = await run("fal-ai/minimax/speech-02-hd", {"text": "x" * 1500})
    assert speech.status_code == 200, speech.content
    assert speech["x-fal-billable-units"] == "1.5"  # priced per 1,000 characters


async def test_a_failed_or_unpriced_request_bills_nothing():
    failed = await run("fal-ai/flux/schnell", {})  # no prompt: 422
    assert failed.status_code == 422 and "x-fal-billable-units" not in failed
    unpriced = await run("openrouter/router", {"prompt": "hi", "model": "google/gemini-flash-1.5"})
    assert unpriced.status_code == 200, unpriced.content
    assert "x-fal-billable-units" not in unpriced
