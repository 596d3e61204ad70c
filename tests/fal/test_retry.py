"""The retry policy, exercised through the real client over httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from playground.fal.client import FalClient
from playground.fal.errors import (
    FalConnectionError,
    FalRateLimitError,
    FalServerError,
    FalTimeoutError,
    FalValidationError,
)
from playground.fal.retry import RetryPolicy, is_retryable
from playground.fal.types import FalUrls

NGINX = "<html><center>nginx</center></html>"
SUBMITTED = {
    "request_id": "req-1",
    "status_url": "s",
    "response_url": "r",
    "cancel_url": "c",
    "status": "IN_QUEUE",
    "queue_position": 0,
}


class Script:
    """Answers calls from a list of responses/exceptions, recording each request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(script: Script, retries: int = 3):
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    retried: list[tuple[str, int]] = []
    client = FalClient(
        key="k:s",
        urls=FalUrls.real(),
        transport=httpx.MockTransport(script),
        retry=RetryPolicy(max_retries=retries, base_delay=0.5, max_delay=4, jitter=0.25),
        sleep=no_sleep,
        on_retry=lambda error, attempt, delay: retried.append((type(error).__name__, attempt)),
    )
    return client, waits, retried


async def test_status_retries_ingress_503_then_succeeds():
    script = Script(
        httpx.Response(503, text=NGINX),
        httpx.Response(502, text=NGINX),
        httpx.Response(200, json={"status": "COMPLETED", "request_id": "r", "logs": []}),
    )
    client, waits, retried = make_client(script)
    async with client:
        status = await client.status("fal-ai/flux/dev", "r")
    assert status.done
    assert len(script.requests) == 3
    assert retried == [("FalServerError", 1), ("FalServerError", 2)]
    assert len(waits) == 2


async def test_backoff_grows_exponentially_within_jitter_and_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=4, jitter=0.25)
    for attempt, nominal in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 4.0)]:
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(nominal * 0.75 <= d <= nominal * 1.25 for d in delays)
        assert len(delays) > 1  # jittered, so many clients do not retry in lockstep


async def test_gives_up_after_max_retries_with_the_last_error():
    script = Script(*[httpx.Response(429, json={"detail": "slow down"})] * 4)
    client, _, retried = make_client(script, retries=3)
    async with client:
        with pytest.raises(FalRateLimitError):
            await client.result("fal-ai/flux/dev", "r")
    assert len(script.requests) == 4
    assert len(retried) == 3


async def test_submit_is_retried_on_429_and_on_connect_errors():
    script = Script(
        httpx.ConnectError("refused"),
        httpx.Response(429, json={"detail": "busy"}),
        httpx.Response(200, json=SUBMITTED),
    )
    client, _, _ = make_client(script)
    async with client:
        handle = await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    assert handle.request_id == "req-1"
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.Response(500, json={"detail": "boom"}, headers={"x-fal-request-id": "x"}),
        httpx.Response(503, json={"detail": "runner"}, headers={"x-fal-request-id": "x"}),
    ],
)
async def test_submit_that_may_have_reached_fal_is_never_retried(failure):
    script = Script(failure, httpx.Response(200, json=SUBMITTED))
    client, _, _ = make_client(script)
    async with client:
        with pytest.raises((FalTimeoutError, FalConnectionError, FalServerError)):
            await client.submit("fal-ai/flux/dev", {"prompt": "x"})
    assert len(script.requests) == 1


async def test_idempotent_calls_retry_read_timeouts_and_app_503s():
    script = Script(
        httpx.ReadTimeout("slow"),
        httpx.Response(503, json={"detail": "r"}, headers={"x-fal-request-id": "x"}),
        httpx.Response(200, json={"images": []}),
    )
    client, _, _ = make_client(script)
    async with client:
        assert await client.result("fal-ai/flux/dev", "r") == {"images": []}


async def test_validation_errors_and_user_timeouts_are_not_retried():
    script = Script(httpx.Response(422, json={"detail": [{"loc": ["body", "x"], "msg": "m"}]}))
    client, _, _ = make_client(script)
    async with client:
        with pytest.raises(FalValidationError):
            await client.status("fal-ai/flux/dev", "r")
    assert len(script.requests) == 1
    user_timeout = FalServerError(
        "t", status_code=504, headers={"x-fal-request-timeout-type": "user"}
    )
    assert not is_retryable(user_timeout, idempotent=True)


async def test_requests_carry_the_key_and_fal_urls():
    script = Script(httpx.Response(200, json=SUBMITTED))
    client, _, _ = make_client(script)
    async with client:
        await client.submit(
            "fal-ai/flux/dev",
            {"prompt": "x"},
            webhook_url="https://example.com/hook?a=1",
            priority="low",
            hint="h1",
            start_timeout=10,
        )
    sent = script.requests[0]
    assert sent.headers["authorization"] == "Key k:s"
    assert str(sent.url).startswith("https://queue.fal.run/fal-ai/flux/dev?fal_webhook=")
    assert sent.url.params["fal_webhook"] == "https://example.com/hook?a=1"
    assert sent.headers["x-fal-queue-priority"] == "low"
    assert sent.headers["x-fal-runner-hint"] == "h1"
    assert sent.headers["x-fal-request-timeout"] == "10"


async def test_status_and_result_use_owner_and_alias_only():
    script = Script(
        httpx.Response(202, json={"status": "IN_QUEUE", "request_id": "r", "queue_position": 3}),
        httpx.Response(200, json={"ok": True}),
    )
    client, _, _ = make_client(script)
    async with client:
        status = await client.status("fal-ai/flux/dev", "r", logs=False)
        await client.result("fal-ai/flux/dev", "r")
    assert status.queue_position == 3
    assert (
        str(script.requests[0].url) == "https://queue.fal.run/fal-ai/flux/requests/r/status?logs=0"
    )
    assert str(script.requests[1].url) == "https://queue.fal.run/fal-ai/flux/requests/r"


async def test_upload_put_never_carries_the_fal_key():
    script = Script(
        httpx.Response(200, json={"upload_url": "https://signed.example/u?x=1", "file_url": "F"}),
        httpx.Response(200),
    )
    client, _, _ = make_client(script)
    async with client:
        url = await client.upload(b"hello", "text/plain", "a.txt")
    assert url == "F"
    initiate, put = script.requests
    assert initiate.headers["authorization"] == "Key k:s"
    assert "authorization" not in put.headers
    assert put.content == b"hello"
    assert put.headers["content-type"] == "text/plain"


def test_bad_queue_headers_are_refused_before_sending():
    from playground.fal.client import _queue_headers

    with pytest.raises(ValueError):
        _queue_headers(priority="urgent")
    with pytest.raises(ValueError):
        _queue_headers(start_timeout=1)
