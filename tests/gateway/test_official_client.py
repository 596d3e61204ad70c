"""The official `@fal-ai/client` (Node, pinned in tests/js) through /api/fal/proxy with a
personal access token, against the live server's emulator: every call it makes passes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from playground.gateway import tokens
from playground.gateway.models import RequestLog

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]
JS_DIR = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture
def run_client(live_app, alice):
    secret = tokens.mint(alice, label="node app").secret

    def run(scenario: str) -> dict:
        node = shutil.which("node") or "/usr/bin/node"
        process = subprocess.run(
            [node, str(JS_DIR / "gateway.mjs"), f"{live_app.url}/api/fal/proxy", secret, scenario],
            capture_output=True,
            text=True,
            timeout=90,
        )
        lines = process.stdout.strip().splitlines()
        assert lines, f"node printed nothing:\n{process.stderr}"
        outcome = json.loads(lines[-1])
        assert outcome["ok"], outcome
        assert all(url.startswith("https://") for url in outcome["targets"]), outcome["targets"]
        return outcome["result"]

    return run


def test_run(run_client):
    result = run_client("run")
    assert result["data"]["images"][0]["width"] == 64
    assert RequestLog.objects.get(request_id=result["requestId"]).kind == "run"


def test_subscribe_by_polling_and_by_status_stream_with_logs(run_client):
    result = run_client("subscribe")
    for mode in ("polling", "streaming"):
        assert result[mode]["data"]["images"], mode
        assert result[mode]["updates"][-1]["status"] == "COMPLETED"
        row = RequestLog.objects.get(request_id=result[mode]["requestId"])
        assert row.follow_ups >= 2  # status (or its stream) and the result, on one row


def test_submit_status_and_result(run_client):
    result = run_client("queue")
    assert result["status"]["status"] == "COMPLETED"
    assert result["submitted"]["status_url"].startswith("https://queue.fal.run/")
    assert result["result"]["data"]["images"]


def test_cancel(run_client):
    result = run_client("cancel")
    # Already finished at test speed (fal answers 400 then), or cancelled: never a refusal.
    assert result["cancelled"] == "ok" or result["cancelled"]["status"] == 400


def test_stream(run_client):
    result = run_client("stream")
    assert result["events"]
    assert result["done"]["images"]


def test_upload(run_client, live_app):
    result = run_client("upload")
    assert result["status"] == 200 and result["same"]
    assert result["url"].startswith(live_app.url + "/localfal/cdn/files/")


def test_realtime_token(run_client):
    result = run_client("token")
    assert result["status"] in (200, 201)
    assert isinstance(result["token"], str) and result["token"]
