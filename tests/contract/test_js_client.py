"""The official JS client (@fal-ai/client 1.10.1, Node 20) against the emulator.

Each test runs `node tests/js/contract.mjs <emulator> <scenario>`, which rewrites fal's
hosts in a requestMiddleware (fal-protocol.md §12) and prints one JSON line describing
what the client saw; the assertions live here. Scenarios: tests/contract/scenarios.md.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from tests.contract.support import probe_submit

pytestmark = pytest.mark.contract

JS_DIR = Path(__file__).resolve().parent.parent / "js"
APP = "fal-ai/flux/schnell"
STEP = re.compile(r"^step \d+/\d+$")


@pytest.fixture(scope="module")
def js(live_app):
    """Runs a scenario once per module; tests asserting different things share its report."""
    reports: dict[str, dict] = {}

    def report(scenario: str) -> dict:
        if scenario not in reports:
            reports[scenario] = run_js(live_app, scenario)
        return reports[scenario]

    return report


def run_js(live_app, scenario: str, timeout: float = 45) -> dict:
    if not (JS_DIR / "node_modules" / "@fal-ai" / "client").is_dir():
        pytest.fail(
            "tests/js/node_modules is missing: run `make test` (it runs `npm ci` in tests/js).",
            pytrace=False,
        )
    node = shutil.which("node") or "/usr/bin/node"
    process = subprocess.run(
        [node, str(JS_DIR / "contract.mjs"), live_app.localfal, scenario],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in process.stdout.splitlines() if line.strip()]
    assert lines, f"node printed nothing (exit {process.returncode}):\n{process.stderr}"
    report = json.loads(lines[-1])
    assert report["ok"], (
        f"JS scenario {scenario!r} failed:\n{json.dumps(report['error'], indent=2)}\n"
        f"stderr:\n{process.stderr}"
    )
    return report


def download(url: str) -> bytes:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.content


def assert_images(output: dict, width: int, height: int) -> None:
    image = output["images"][0]
    with Image.open(io.BytesIO(download(image["url"]))) as picture:
        assert picture.size == (width, height)
    assert (image["width"], image["height"]) == (width, height)


def requests_to(report: dict, method: str, fragment: str) -> list[dict]:
    return [r for r in report["trace"] if r["method"] == method and fragment in r["url"]]


def has_step_logs(update: dict) -> bool:
    return any(STEP.match(message) for message in update["logs"] or [])


def test_run_returns_a_downloadable_image_of_the_requested_size(js, live_app):
    report = js("run")

    result = report["result"]
    assert result["requestId"]
    assert_images(result["data"], width=256, height=192)
    assert requests_to(report, "POST", f"{live_app.localfal}/run/{APP}")


@pytest.mark.parametrize("mode", ["polling", "streaming"])
def test_subscribe_reports_step_logs_while_in_progress(js, mode):
    report = js("subscribe")

    outcome = report["result"][mode]
    assert outcome["requestId"] == outcome["enqueued"]
    running = [u for u in outcome["updates"] if u["status"] == "IN_PROGRESS"]
    assert any(has_step_logs(update) for update in running), outcome["updates"]
    assert outcome["updates"][-1]["status"] == "COMPLETED"
    assert_images(outcome["data"], width=64, height=64)
    path = "/status/stream?logs=1" if mode == "streaming" else "/status?logs=1"
    assert requests_to(report, "GET", f"/requests/{outcome['requestId']}{path}")


def test_subscribe_streaming_shows_each_log_line_once(js):
    """In streaming mode the client appends each status event's `logs` to those it holds
    ("accumulate logs to match previous polling behavior"), so each event must carry only
    the lines that are new since the previous event."""
    report = js("subscribe")

    final_logs = report["result"]["streaming"]["updates"][-1]["logs"]
    assert final_logs and len(final_logs) == len(set(final_logs)), final_logs


def test_submit_status_and_result_follow_the_queue_protocol(js, live_app):
    report = js("queue")

    submitted = report["result"]["submitted"]
    request_id = submitted["request_id"]
    assert submitted["status"] == "IN_QUEUE"
    assert submitted["gateway_request_id"]
    assert submitted["status_url"].startswith(f"{live_app.localfal}/queue/fal-ai/flux/requests/")
    (submit,) = requests_to(report, "POST", f"/queue/{APP}?")
    query = parse_qs(urlsplit(submit["url"]).query)
    assert query["fal_webhook"] == [f"{live_app.url}/contract-hook?a=1"]
    assert submit["headers"]["x-fal-queue-priority"] == "low"
    assert submit["headers"]["x-fal-runner-hint"] == "contract-tests"
    assert submit["headers"]["x-fal-request-timeout"] == "30"
    statuses = report["result"]["statuses"]
    assert "IN_PROGRESS" in {status["status"] for status in statuses}
    assert statuses[-1]["status"] == "COMPLETED"
    assert any(STEP.match(message) for message in statuses[-1]["logs"])
    result = report["result"]["result"]
    assert result["requestId"] == request_id
    assert_images(result["data"], width=64, height=64)


def test_cancel_ends_running_and_queued_requests_with_an_error(js):
    report = js("cancel")

    result = report["result"]
    assert "IN_PROGRESS" in {status["status"] for status in result["before"]}, result["before"]
    assert result["before"][-1]["status"] == "IN_QUEUE", result["before"]
    assert result["cancels"] == [{"ok": True}] * len(result["ids"])
    for status, fetched in zip(result["after"], result["results"], strict=True):
        assert status["status"] == "COMPLETED"
        assert status["error"]
        assert fetched["error"]["name"] == "ApiError"
        assert 400 <= fetched["error"]["status"] < 600
        assert fetched["error"]["body"]["detail"]


def test_stream_ends_with_the_output(js):
    report = js("stream")

    events = report["result"]["events"]
    assert len(events) >= 3, events
    # Before the output only progress and blurred previews (data URIs) of the images.
    assert all(
        event.get("partial") and event["images"][0]["url"].startswith("data:image/")
        for event in events[:-1]
        if "images" in event
    )
    assert report["result"]["done"] == events[-1]
    assert report["result"]["requestId"]
    assert_images(events[-1], width=64, height=64)


def test_uploads_download_as_the_bytes_sent(js):
    report = js("upload")

    for upload in report["result"].values():
        assert download(upload["url"]) == base64.b64decode(upload["sent_base64"])
    initiated = requests_to(report, "POST", "/rest/storage/upload/initiate?storage_type=fal-cdn-v3")
    assert len(initiated) == 2


def test_errors_surface_as_client_errors(js, live_app):
    report = js("errors")

    result = report["result"]
    for case in ("invalid", "missing"):
        error = result[case]["error"]
        assert (error["name"], error["status"]) == ("ValidationError", 422)
        assert [e["loc"] for e in error["promptErrors"]] == [["body", "prompt"]]
    assert (result["unknown"]["error"]["name"], result["unknown"]["error"]["status"]) == (
        "ApiError",
        404,
    )
    retried = result["retried"]
    assert "error" not in retried, retried
    assert_images(retried["value"]["data"], width=64, height=64)
    fault = f"submit:503*1,key={retried['faultKey']}"
    submits = [r for r in requests_to(report, "POST", f"/queue/{APP}") if fault in str(r)]
    assert len(submits) == 2, "the 503 was not retried exactly once"
    assert probe_submit(live_app, fault) == 422, "the injected 503 never reached the client"


def test_validation_error_message_is_the_http_reason_phrase(js):
    """The client's ApiError message is `body.message || statusText` (js response.js)."""
    report = js("errors")

    assert report["result"]["invalid"]["error"]["message"] == "Unprocessable Entity"
