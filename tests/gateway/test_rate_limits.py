"""Gateway calls over the caller's per-minute limit: 429, Retry-After, a JSON detail; the
follow-ups of an accepted request (status, result, cancel, streams) are never counted."""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest

from playground.gateway import tokens
from playground.gateway.models import RequestLog
from tests.gateway.conftest import auth, target
from tests.gateway.test_lane import call, key
from tests.gateway.test_realtime_relay import closed_with, connect, frame, key_header

PROXY = "/api/fal/proxy"
SUBMIT = "https://queue.fal.run/fal-ai/flux/schnell"
INPUT = json.dumps({"prompt": "a fox", "image_size": {"width": 64, "height": 64}})


def submit(client, secret, url=SUBMIT):
    return client.post(PROXY, INPUT, content_type="application/json", **auth(secret), **target(url))


def assert_limited(status: int, headers: dict, body: bytes, per_minute: int) -> None:
    assert status == 429, body
    wait = int(headers["Retry-After"])
    assert 1 <= wait <= 60
    detail = json.loads(body)["detail"]
    requests = "request" if per_minute == 1 else "requests"
    assert detail == f"Rate limit reached: {per_minute} {requests} a minute. Try again in {wait} s."


@pytest.mark.django_db
def test_the_submit_over_the_limit_gets_429_and_never_reaches_fal(
    rate_limits, client, emulator, alice_token
):
    assert [submit(client, alice_token).status_code for _ in range(2)] == [200, 200]

    refused = submit(client, alice_token)

    assert_limited(refused.status_code, refused, refused.content, 2)
    assert refused["Content-Type"] == "application/json"
    assert RequestLog.objects.count() == 2


@pytest.mark.django_db
def test_polls_results_and_cancels_are_not_counted(rate_limits, client, emulator, alice_token):
    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    handle = submit(client, alice_token).json()

    for url in [handle["status_url"]] * 3 + [handle["response_url"]] * 2:
        assert client.get(PROXY, **auth(alice_token), **target(url)).status_code in (200, 202)
    cancel = client.put(PROXY, **auth(alice_token), **target(handle["cancel_url"]))
    assert cancel.status_code < 429

    assert submit(client, alice_token).status_code == 429  # the second submit is


@pytest.mark.django_db
def test_a_sync_run_on_the_route_is_counted(rate_limits, client, emulator, alice_token):
    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    route = "/gateway/fal/fal-ai/flux/schnell"
    run = client.post(route, INPUT, content_type="application/json", **auth(alice_token))
    again = client.post(route, INPUT, content_type="application/json", **auth(alice_token))

    assert run.status_code == 200, run.content
    assert_limited(again.status_code, again, again.content, 1)


@pytest.mark.django_db
def test_upload_initiation_and_token_minting_are_counted(
    rate_limits, client, emulator, alice_token
):
    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    upload = "https://rest.fal.ai/storage/upload/initiate"
    body = json.dumps({"content_type": "image/png", "file_name": "a.png"})
    first = client.post(PROXY, body, content_type="application/json", **auth(alice_token),
                        **target(upload))  # fmt: skip
    minted = client.post(PROXY, "{}", content_type="application/json", **auth(alice_token),
                         **target("https://rest.fal.ai/tokens/"))  # fmt: skip

    assert first.status_code == 200, first.content
    assert minted.status_code == 429


@pytest.mark.django_db
def test_a_session_caller_is_limited_too(rate_limits, client, emulator, alice):
    client.force_login(alice)
    answers = [client.post(PROXY, INPUT, content_type="application/json", **target(SUBMIT))
               for _ in range(3)]  # fmt: skip

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert "Retry-After" in answers[2]


@pytest.mark.django_db
def test_a_token_with_its_own_limit_counts_apart_from_its_holder(
    rate_limits, client, emulator, alice, alice_token
):
    limited = tokens.mint(alice, label="batch")
    limited.token.rate_limit = 3
    limited.token.save()

    codes = [submit(client, limited.secret).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    assert submit(client, alice_token).status_code == 200  # her own minute is untouched


@pytest.mark.django_db(transaction=True)
def test_the_lane_answers_429_with_retry_after_from_memory(rate_limits, emulator, alice_token):
    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    rate_limits.GATEWAY_CACHE_SECONDS = 60  # the memory path: no thread hop, no query
    headers = {**key(alice_token), "x-fal-target-url": SUBMIT, "content-type": "application/json"}

    async def twice():
        first = await call(PROXY, headers, INPUT.encode(), "POST")
        return first, await call(PROXY, headers, INPUT.encode(), "POST")

    (status, _, _), (again, answer_headers, body) = asyncio.run(twice())

    assert status == 200
    named = {name.decode().title(): value.decode() for name, value in answer_headers.items()}
    assert_limited(again, named, body, 1)


@pytest.mark.django_db(transaction=True)
async def test_a_realtime_session_counts_once_and_the_next_is_closed_4429(
    rate_limits, emulator, alice_token
):
    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    communicator, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    for seed in (1, 2):  # frames within the session are not counted
        await communicator.send_to(bytes_data=frame(seed=seed))
        assert "images" in msgpack.unpackb(await communicator.receive_from(timeout=15), raw=False)
        await communicator.receive_from(timeout=15)  # its timings
    await communicator.disconnect()

    second, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    said = json.loads(await second.receive_from(timeout=15))
    assert said["error"] == "RATE_LIMITED" and "1 request a minute" in said["reason"]
    assert await closed_with(second) == 4429
