"""Emulator details the clients depend on (fal-protocol.md §14), via Django's test client."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient

from playground.localfal.engine import get_engine, reset_engine
from playground.localfal.validation import fal_errors
from tests.support import abody

KEY = {"Authorization": "Key local:test"}
FLUX = "/localfal/queue/fal-ai/flux/schnell"


@pytest.fixture(autouse=True)
def fresh_engine():
    reset_engine()
    yield
    reset_engine()


async def submit(client: AsyncClient, data=None, **headers):
    return await client.post(
        FLUX,
        json.dumps(data or {"prompt": "fox"}),
        content_type="application/json",
        headers={**KEY, **headers},
    )


@pytest.mark.django_db(transaction=True)
async def test_status_accepts_both_log_spellings_and_answers_202_then_200():
    client = AsyncClient()
    body = (await submit(client)).json()
    status_url = body["status_url"].replace("http://testserver", "")
    assert body["queue_position"] == 0
    assert (await client.get(status_url + "?logs=true", headers=KEY)).json()["logs"] is not None
    assert (await client.get(status_url + "?logs=0", headers=KEY)).json()["logs"] is None
    await get_engine().wait(body["request_id"])
    for flag in ("1", "true"):
        done = await client.get(f"{status_url}?logs={flag}", headers=KEY)
        assert done.status_code == 200
        assert done.json()["status"] == "COMPLETED"
        assert done["x-fal-request-id"] == body["request_id"]
        logs = [entry["message"] for entry in done.json()["logs"]]
        assert done.json()["logs"][0]["source"] == "USER"
        assert "step 4/4" in logs  # schnell's default num_inference_steps
    running = await submit(client)
    assert (await client.get(running.json()["status_url"], headers=KEY)).status_code == 202


@pytest.mark.django_db(transaction=True)
async def test_result_before_completion_is_202_with_the_status():
    client = AsyncClient()
    body = (await submit(client, **{"X-Localfal-Fault": "app:slow=2"})).json()
    early = await client.get(body["response_url"], headers=KEY)
    assert early.status_code == 202
    assert early.json()["status"] in ("IN_QUEUE", "IN_PROGRESS")


@pytest.mark.django_db(transaction=True)
async def test_status_of_another_app_or_without_key_is_refused():
    client = AsyncClient()
    body = (await submit(client)).json()
    other = f"/localfal/queue/fal-ai/fast-sdxl/requests/{body['request_id']}/status"
    assert (await client.get(other, headers=KEY)).status_code == 404
    assert (await client.get(body["status_url"])).status_code == 401


@pytest.mark.django_db(transaction=True)
async def test_bad_json_and_bad_fault_headers_get_clear_4xx():
    client = AsyncClient()
    bad_json = await client.post(FLUX, "{", content_type="application/json", headers=KEY)
    assert bad_json.status_code == 422
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"
    bad_fault = await submit(client, **{"X-Localfal-Fault": "nowhere:1"})
    assert bad_fault.status_code == 400
    assert "bad fault rule" in bad_fault.json()["detail"]


@pytest.mark.django_db(transaction=True)
async def test_cancel_of_a_queued_request_frees_its_place():
    client = AsyncClient()
    slow = {"X-Localfal-Fault": "app:slow=3"}
    _first, _second, third, fourth = [(await submit(client, **slow)).json() for _ in range(4)]
    assert fourth["queue_position"] == 1
    cancelled = await client.put(third["cancel_url"], headers=KEY)
    assert cancelled.status_code == 202
    assert cancelled.json() == {"status": "CANCELLATION_REQUESTED"}
    moved_up = await client.get(fourth["status_url"], headers=KEY)
    assert moved_up.json()["queue_position"] == 0
    result = await client.get(third["response_url"], headers=KEY)
    assert result.status_code == 499
    assert result.json()["error_type"] == "client_cancelled"
    unknown = await client.put("/localfal/queue/fal-ai/flux/requests/nope/cancel", headers=KEY)
    assert unknown.status_code == 404


def test_validation_errors_use_fastapi_locations():
    schema = {
        "type": "object",
        "required": ["prompt"],
        "properties": {
            "prompt": {"type": "string"},
            "loras": {
                "type": "array",
                "items": {"type": "object", "properties": {"scale": {"maximum": 4}}},
            },
        },
    }
    errors = fal_errors(schema, {"loras": [{"scale": 9}]})
    assert {tuple(e["loc"]) for e in errors} == {("body", "prompt"), ("body", "loras", 0, "scale")}
    assert fal_errors(schema, ["not", "an", "object"])[0]["type"] == "dict_type"


@pytest.mark.django_db(transaction=True)
async def test_uploaded_files_are_served_with_their_content_type():
    client = AsyncClient()
    start = await client.post(
        "/localfal/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
        json.dumps({"content_type": "image/png", "file_name": "../../evil name.png"}),
        content_type="application/json",
        headers=KEY,
    )
    target = start.json()
    assert target["file_url"].endswith("/evil_name.png")  # no path tricks in names
    put = await client.put(target["upload_url"], b"\x89PNG...", content_type="image/png")
    assert put.status_code == 200
    again = await client.put(target["upload_url"], b"x", content_type="image/png")
    assert again.status_code == 404  # upload URLs are single-use
    served = await client.get(target["file_url"])
    assert served["Content-Type"] == "image/png"
    assert await abody(served) == b"\x89PNG..."
