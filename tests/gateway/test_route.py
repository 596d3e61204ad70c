"""/gateway/fal/...: replace https://fal.run with this server's route and fal just works."""

from __future__ import annotations

import json

import pytest

from playground.gateway.models import RequestLog
from tests.gateway.conftest import auth, target

pytestmark = pytest.mark.django_db
INPUT = json.dumps({"prompt": "a red fox", "image_size": {"width": 64, "height": 64}})


def test_post_on_the_route_is_a_sync_run_on_fal_run(client, emulator, alice_token):
    response = client.post(
        "/gateway/fal/fal-ai/flux/schnell", INPUT, content_type="application/json",
        **auth(alice_token),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["images"][0]["width"] == 64
    row = RequestLog.objects.get()
    assert (row.kind, row.entrance, row.state) == ("run", "gateway", "COMPLETED")
    assert row.request_id == response["x-fal-request-id"]


def test_queue_urls_in_answers_lead_back_through_the_route(client, emulator, alice_token):
    submitted = client.post(
        "/gateway/fal/fal-ai/flux/schnell", INPUT, content_type="application/json",
        **auth(alice_token), **target("https://queue.fal.run/fal-ai/flux/schnell"),
    )  # fmt: skip
    handle = submitted.json()
    route = "http://testserver/gateway/fal-queue/fal-ai/flux/requests/"

    assert submitted.status_code == 200, submitted.content
    for name in ("status_url", "response_url", "cancel_url"):
        assert handle[name].startswith(route + handle["request_id"])
    status = client.get(handle["status_url"].removeprefix("http://testserver"), **auth(alice_token))
    assert status.status_code in (200, 202)
    assert status.json()["request_id"] == handle["request_id"]
    result = client.get(
        handle["response_url"].removeprefix("http://testserver"), **auth(alice_token)
    )
    assert result.status_code in (200, 202)  # 202: still running on a busy machine


def test_the_route_refuses_paths_that_are_not_model_paths(client, emulator, alice_token):
    for path in (
        "/gateway/fal/fal-ai",
        "/gateway/fal/fal-ai/%2e%2e/x",
        "/gateway/fal-rest/v1/keys",
    ):
        response = client.post(path, INPUT, content_type="application/json", **auth(alice_token))
        assert response.status_code == 403, path
        assert response.json()["detail"]


@pytest.mark.django_db(transaction=True)
async def test_a_status_stream_arrives_as_server_sent_events(async_client, emulator, alice):
    from asgiref.sync import sync_to_async

    from playground.gateway import tokens

    minted = await sync_to_async(tokens.mint)(alice)
    headers = {"Authorization": f"Key {minted.secret}"}
    submitted = await async_client.post(
        "/api/fal/proxy", INPUT, content_type="application/json", headers={
            **headers, "x-fal-target-url": "https://queue.fal.run/fal-ai/flux/schnell"},
    )  # fmt: skip
    stream_url = submitted.json()["status_url"] + "/stream?logs=1"

    response = await async_client.get(
        "/api/fal/proxy", headers={**headers, "x-fal-target-url": stream_url}
    )
    body = b"".join([chunk async for chunk in response.streaming_content])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = [
        json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")
    ]
    assert events[-1]["status"] == "COMPLETED"
