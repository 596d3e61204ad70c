"""The contract scenarios (scenarios.md) with our own client, against the live emulator."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
import pytest
from PIL import Image

from playground.fal.client import FalClient
from playground.fal.errors import (
    FalAuthError,
    FalConnectionError,
    FalHTTPError,
    FalNotFoundError,
    FalServerError,
    FalValidationError,
)
from playground.fal.retry import RetryPolicy
from playground.fal.types import FalUrls, QueueState

pytestmark = pytest.mark.contract
FLUX = "fal-ai/flux/schnell"
SMALL = {"prompt": "a red fox in snow", "image_size": {"width": 256, "height": 192}}


def fault(rules: str) -> dict[str, str]:
    """A fault header with its own counter (see localfal/faults.py)."""
    return {"X-Localfal-Fault": f"{rules},key={uuid.uuid4()}"}


def client_for(live_app, *, key: str | None = "local:test", **kwargs) -> FalClient:
    async def quick_sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.05))

    kwargs.setdefault("retry", RetryPolicy(max_retries=3, base_delay=0.05))
    return FalClient(key=key, urls=FalUrls.local(live_app.localfal), sleep=quick_sleep, **kwargs)


async def download(url: str) -> bytes:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        response.raise_for_status()
        return response.content


async def test_run_returns_an_image_of_the_requested_size(live_app):
    async with client_for(live_app) as fal:
        result = await fal.run(FLUX, SMALL)
    assert result.request_id
    image_info = result.data["images"][0]
    image = Image.open(io.BytesIO(await download(image_info["url"])))
    assert image.size == (256, 192)
    assert result.data["prompt"] == SMALL["prompt"]


async def test_submit_then_follow_the_status_stream_with_logs(live_app):
    async with client_for(live_app) as fal:
        handle = await fal.submit(FLUX, SMALL, webhook_url=f"{live_app.url}/contract-hook")
        seen = [status async for status in fal.stream_status(FLUX, handle.request_id)]
        output = await fal.result(FLUX, handle.request_id)
    assert handle.gateway_request_id
    assert handle.status_url.startswith(live_app.localfal)
    assert seen[-1].status is QueueState.COMPLETED
    assert not seen[-1].failed
    assert any(log.message.startswith("step ") for log in seen[-1].logs)
    assert "inference_time" in seen[-1].metrics
    assert output["images"][0]["width"] == 256


async def test_polling_sees_queue_positions_then_completion(live_app):
    async with client_for(live_app) as fal:
        slow = fault("app:slow=0.6")
        handles = [await fal.submit(FLUX, SMALL, headers=slow) for _ in range(4)]
        positions = [(await fal.status(FLUX, h.request_id)).queue_position for h in handles]
        last = handles[-1]
        while not (status := await fal.status(FLUX, last.request_id)).done:
            await asyncio.sleep(0.05)
    # Two runners take the first two; the others wait in order.
    assert positions[2:] == [0, 1]
    assert status.logs


async def test_cancel_a_running_request(live_app):
    async with client_for(live_app) as fal:
        handle = await fal.submit(FLUX, SMALL, headers=fault("app:slow=5"))
        while (await fal.status(FLUX, handle.request_id)).status is QueueState.IN_QUEUE:
            await asyncio.sleep(0.02)
        outcome = await fal.cancel(FLUX, handle.request_id)
        while not (status := await fal.status(FLUX, handle.request_id)).done:
            await asyncio.sleep(0.02)
        with pytest.raises(FalHTTPError) as raised:
            await fal.result(FLUX, handle.request_id)
        with pytest.raises(FalHTTPError) as again:
            await fal.cancel(FLUX, handle.request_id)
    assert outcome == "CANCELLATION_REQUESTED"
    assert status.error_type == "client_cancelled"
    assert raised.value.status_code == 499
    assert again.value.status_code == 400  # ALREADY_COMPLETED


async def test_stream_yields_progress_then_the_output(live_app):
    async with client_for(live_app) as fal:
        events = [event async for event in fal.stream(FLUX, SMALL)]
    assert len(events) >= 2
    assert any("logs" in event for event in events[:-1])
    assert events[-1]["images"][0]["height"] == 192


async def test_upload_stores_bytes_that_download_unchanged(live_app):
    async with client_for(live_app) as fal:
        url = await fal.upload(b"hello emulator", "text/plain", "hello.txt")
    assert url.startswith(live_app.localfal + "/cdn/files/")
    assert await download(url) == b"hello emulator"


async def test_multipart_upload_reassembles_the_parts(live_app, monkeypatch):
    from playground.fal import client as client_module

    monkeypatch.setattr(client_module, "MULTIPART_THRESHOLD", 10)
    monkeypatch.setattr(client_module, "MULTIPART_CHUNK", 7)
    blob = bytes(range(256)) * 3
    async with client_for(live_app) as fal:
        url = await fal.upload(blob, "application/octet-stream", "blob.bin")
    assert await download(url) == blob


async def test_uploaded_image_can_feed_an_editing_model(live_app):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    async with client_for(live_app) as fal:
        url = await fal.upload(buffer.getvalue(), "image/png", "red.png")
        result = await fal.run(
            "fal-ai/image-editing/cartoonify", {"image_url": url, "prompt": "cartoon"}
        )
    images = result.data.get("images") or [result.data.get("image")]
    assert Image.open(io.BytesIO(await download(images[0]["url"]))).size[0] > 0


async def test_realtime_token_is_a_jwt_for_the_alias(live_app):
    from playground.localfal.tokens import verify

    async with client_for(live_app) as fal:
        token = await fal.realtime_token("fal-ai/fast-lcm-diffusion")
    assert token.count(".") == 2
    with pytest.raises(ValueError):
        verify(token, "flux")  # minted for fast-lcm-diffusion only (and another process's key)


async def test_invalid_input_is_a_validation_error_naming_the_field(live_app):
    async with client_for(live_app) as fal:
        # The queue accepts the request; the model rejects it, as on fal.
        handle = await fal.submit(FLUX, {"prompt": 42, "num_images": 99})
        statuses = [s async for s in fal.stream_status(FLUX, handle.request_id)]
        with pytest.raises(FalValidationError) as raised:
            await fal.result(FLUX, handle.request_id)
        with pytest.raises(FalValidationError) as missing:
            await fal.run(FLUX, {})
    assert statuses[-1].failed
    assert set(raised.value.errors_by_path()) == {"prompt", "num_images"}
    assert missing.value.errors_by_path() == {"prompt": ["Field required"]}


async def test_start_timeout_expires_for_requests_that_wait_too_long(live_app):
    async with client_for(live_app) as fal:
        blockers = [await fal.submit(FLUX, SMALL, headers=fault("app:slow=3")) for _ in range(2)]
        waiting = await fal.submit(FLUX, SMALL, start_timeout=1.5)
        statuses = [s async for s in fal.stream_status(FLUX, waiting.request_id)]
        with pytest.raises(FalServerError) as raised:
            await fal.result(FLUX, waiting.request_id)
        for blocker in blockers:
            await fal.cancel(FLUX, blocker.request_id)
        with pytest.raises(ValueError):
            await fal.submit(FLUX, SMALL, start_timeout=0.5)
    assert statuses[-1].error_type == "request_timeout"
    assert raised.value.status_code == 504
    assert raised.value.is_user_timeout


async def test_unknown_endpoint_and_missing_key_are_refused(live_app):
    async with client_for(live_app) as fal:
        with pytest.raises(FalNotFoundError):
            await fal.submit("fal-ai/no-such-model", {})
        with pytest.raises(FalNotFoundError):
            await fal.status(FLUX, "no-such-request")
    async with client_for(live_app, key=None) as anonymous:
        with pytest.raises(FalAuthError):
            await anonymous.submit(FLUX, SMALL)


async def test_injected_ingress_errors_are_retried_transparently(live_app):
    retries = []
    async with client_for(live_app, on_retry=lambda e, n, d: retries.append(n)) as fal:
        handle = await fal.submit(FLUX, SMALL, headers=fault("submit:503*2"))
        status = await fal.status(FLUX, handle.request_id, logs=False)
        result = await fal.run(FLUX, SMALL, hint="h")
    assert retries == [1, 2]
    assert status.request_id == handle.request_id
    assert result.data["images"]


async def test_app_errors_surface_as_server_errors_without_retrying_submit(live_app):
    async with client_for(live_app) as fal:
        with pytest.raises(FalServerError) as raised:
            await fal.submit(FLUX, SMALL, headers=fault("submit:500"))
        handle = await fal.submit(FLUX, SMALL, headers=fault("app:fail"))
        statuses = [status async for status in fal.stream_status(FLUX, handle.request_id)]
        status = statuses[-1]
        with pytest.raises(FalServerError) as result_error:
            await fal.result(FLUX, handle.request_id)
    assert raised.value.error_type == "internal_error"
    assert status.failed and status.error_type == "runner_server_error"
    assert result_error.value.status_code == 500


async def test_a_dropped_status_stream_is_reported_so_callers_can_poll(live_app):
    async with client_for(live_app, headers=fault("stream:drop*1,app:slow=0.3")) as fal:
        handle = await fal.submit(FLUX, SMALL)
        with pytest.raises(FalConnectionError):
            async for _ in fal.stream_status(FLUX, handle.request_id):
                pass
        # The fault fired once: following the stream again reaches completion.
        seen = [status async for status in fal.stream_status(FLUX, handle.request_id)]
    assert seen[-1].done


async def test_rate_limited_runs_are_retried(live_app):
    retries = []
    headers = fault("run:429*1")
    async with client_for(live_app, headers=headers, on_retry=lambda *a: retries.append(a)) as fal:
        result = await fal.run(FLUX, SMALL)
    assert result.data["images"]
    assert len(retries) == 1
