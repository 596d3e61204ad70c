"""The official Python client (fal-client 1.0.3) against the emulator.

Scenarios are listed in tests/contract/scenarios.md. The client is pointed at the live
server by monkeypatching its module URL constants (fal-protocol.md §11.3, option 1); these
are private names, so behaviour is pinned to fal-client 1.0.3 (requirements-dev.txt).
"""

from __future__ import annotations

import io
import re
import time
import uuid

import httpx
import pytest
from fal_client import Completed, FalClientHTTPError, InProgress, Queued, SyncRequestHandle
from PIL import Image

from tests.contract.support import probe_submit

pytestmark = pytest.mark.contract

APP = "fal-ai/flux/schnell"
PROMPT = "a lighthouse on a cliff, contract test"
SMALL = {"width": 64, "height": 64}
STEP = re.compile(r"^step \d+/\d+$")


def slow(seconds: float) -> dict[str, str]:
    """Stretch the model's simulated steps so the client can watch it run."""
    return {"X-Localfal-Fault": f"app:slow={seconds},key={uuid.uuid4()}"}


def download(url: str) -> bytes:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.content


def assert_images(output: dict, width: int = 64, height: int = 64) -> None:
    assert output["images"], output
    image = output["images"][0]
    with Image.open(io.BytesIO(download(image["url"]))) as picture:
        assert picture.size == (width, height)
    assert (image["width"], image["height"]) == (width, height)


def step_messages(logs: list[dict] | None) -> list[str]:
    return [entry["message"] for entry in logs or [] if STEP.match(entry["message"])]


def wait_until(handle: SyncRequestHandle, *kinds: type, with_logs: bool = False):
    """Poll status until it is one of `kinds`; returns (last status, every status seen)."""
    seen = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen.append(handle.status(with_logs=with_logs))
        if isinstance(seen[-1], kinds):
            return seen[-1], seen
        time.sleep(0.025)
    raise AssertionError(f"{handle.request_id} never reached {kinds}; saw {seen[-3:]}")


def test_run_returns_a_downloadable_image_of_the_requested_size(fal):
    output = fal.run(APP, {"prompt": PROMPT, "image_size": {"width": 256, "height": 192}})

    assert_images(output, width=256, height=192)
    assert output["prompt"] == PROMPT


def test_subscribe_reports_step_logs_while_in_progress(fal):
    enqueued, updates = [], []

    output = fal.subscribe(
        APP,
        {"prompt": PROMPT, "image_size": SMALL},
        with_logs=True,
        on_enqueue=enqueued.append,
        on_queue_update=updates.append,
        headers=slow(1),
    )

    assert len(enqueued) == 1
    running = [update for update in updates if isinstance(update, InProgress)]
    assert any(step_messages(update.logs) for update in running), updates
    entry = running[-1].logs[-1]
    assert set(entry) >= {"message", "level", "source", "timestamp"}
    assert isinstance(updates[-1], Completed)
    assert updates[-1].error is None
    assert_images(output)


def test_submit_status_and_result_follow_the_queue_protocol(fal, live_app):
    handle = fal.submit(
        APP,
        {"prompt": PROMPT, "image_size": SMALL},
        webhook_url=f"{live_app.url}/contract-hook?a=1",
        priority="low",
        hint="contract-tests",
        start_timeout=30,
        headers=slow(0.5),
    )
    # The client polls the URLs the server hands back (§4.1): they must point at the emulator.
    request_base = f"{live_app.localfal}/queue/fal-ai/flux/requests/{handle.request_id}"
    assert handle.status_url == f"{request_base}/status"
    assert handle.response_url == request_base
    assert handle.cancel_url == f"{request_base}/cancel"

    completed, seen = wait_until(handle, Completed, with_logs=True)

    assert any(isinstance(status, InProgress) for status in seen), seen
    assert completed.error is None
    assert "inference_time" in completed.metrics
    assert step_messages(completed.logs)
    output = handle.get()
    assert_images(output)
    # The same request, addressed only by id (the client rebuilds the owner/alias URLs).
    assert isinstance(fal.status(APP, handle.request_id), Completed)
    assert fal.result(APP, handle.request_id) == output


def test_cancel_ends_running_and_queued_requests_with_an_error(fal):
    # Each request stays in the model for ~5 s: keep submitting until every runner is busy
    # and the newest request waits in the queue.
    headers = slow(5)
    arguments = {"prompt": PROMPT, "image_size": SMALL, "num_inference_steps": 12}
    handles = [fal.submit(APP, arguments, headers=headers)]
    wait_until(handles[0], InProgress, Completed)
    while not isinstance(handles[-1].status(), Queued) and len(handles) < 8:
        handles.append(fal.submit(APP, arguments, headers=headers))
        time.sleep(0.1)  # a free runner picks a new request up at once
    before = [handle.status() for handle in handles]
    assert any(isinstance(status, InProgress) for status in before), before
    assert isinstance(before[-1], Queued), before

    for handle in handles:
        handle.cancel()

    for handle in handles:
        completed, _ = wait_until(handle, Completed)
        assert completed.error
        with pytest.raises(FalClientHTTPError) as failure:
            handle.get()
        assert 400 <= failure.value.status_code < 600
        assert failure.value.error_type == completed.error_type


def test_stream_ends_with_the_output(fal):
    events = list(fal.stream(APP, {"prompt": PROMPT, "image_size": SMALL}, headers=slow(0.5)))

    assert len(events) >= 3, events
    # Before the output only progress and blurred previews (data URIs) of the images.
    assert all(
        event.get("partial") and event["images"][0]["url"].startswith("data:image/")
        for event in events[:-1]
        if "images" in event
    )
    assert_images(events[-1])


def test_uploads_download_as_the_bytes_sent(fal, tmp_path):
    text = f"hello from the Python contract test {uuid.uuid4()}".encode()

    # Each repository alone, so a failing first path cannot hide behind the fallback:
    # fal_v3 (REST token, then CDN /files/upload) and fal (initiate, then PUT).
    v3 = fal.upload(text, "text/plain", repository="fal_v3", fallback_repository=[])
    storage = fal.upload(text, "text/plain", repository="fal", fallback_repository=[])
    default = fal.upload(text, "text/plain")

    assert [download(url) for url in (v3, storage, default)] == [text] * 3
    picture = Image.new("RGB", (3, 2), (200, 40, 10))
    png = tmp_path / "dot.png"
    picture.save(png)
    assert download(fal.upload_file(png)) == png.read_bytes()
    with Image.open(io.BytesIO(download(fal.upload_image(picture, format="png")))) as back:
        assert back.size == (3, 2)
        assert back.convert("RGB").getpixel((0, 0)) == (200, 40, 10)


def test_errors_surface_as_client_http_errors(fal, live_app):
    with pytest.raises(FalClientHTTPError) as invalid:
        fal.run(APP, {"prompt": 42})
    assert invalid.value.status_code == 422
    assert ["body", "prompt"] in [error["loc"] for error in invalid.value.message]

    with pytest.raises(FalClientHTTPError) as missing:
        fal.subscribe(APP, {"image_size": SMALL})
    assert missing.value.status_code == 422
    assert ["body", "prompt"] in [error["loc"] for error in missing.value.message]

    with pytest.raises(FalClientHTTPError) as unknown:
        fal.run("fal-ai/no-such-model-for-contract", {"prompt": PROMPT})
    assert unknown.value.status_code == 404

    # Two ingress-style 503s on submit: the client retries them (§11.2) and succeeds.
    fault = f"submit:503*2,key={uuid.uuid4()}"
    output = fal.subscribe(
        APP, {"prompt": PROMPT, "image_size": SMALL}, headers={"X-Localfal-Fault": fault}
    )
    assert_images(output)
    assert probe_submit(live_app, fault) == 422, "the client never received the injected 503s"
