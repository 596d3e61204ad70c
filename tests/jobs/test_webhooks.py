"""POST /webhooks/fal: trusted deliveries nudge the runner once; everything else is refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from playground.fal.client import FalClient
from playground.fal.config import fal_urls
from playground.fal.types import FalUrls
from playground.fal.webhooks import fetch_jwks
from playground.jobs import actions
from playground.jobs.models import EventKind, Generation, Status
from tests.jobs.conftest import SMALL, submit

URL = "/webhooks/fal"


@pytest.fixture(autouse=True)
def _isolated_keys(settings):
    """No real emulator answers here: a forced key refresh fails at once (closed port)."""
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = "http://127.0.0.1:9/localfal"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fal_key(_isolated_keys) -> Ed25519PrivateKey:
    """fal's signing key, its public half already in the key cache."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"keys": [jwk]}))
    async_to_sync(fetch_jwks)(fal_urls(), transport)
    return key


@pytest.fixture
def wakes(monkeypatch) -> list[dict]:
    woken: list[dict] = []
    monkeypatch.setattr(actions, "wake_runners", woken.append)
    return woken


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def delivery(request_id: str, status: str = "OK") -> bytes:
    body = {"request_id": request_id, "gateway_request_id": request_id, "status": status}
    body["payload"] = {"images": []} if status == "OK" else {"detail": "boom"}
    if status == "ERROR":
        body["error"] = "Invalid status code: 500"
    return json.dumps(body).encode()


def sign(key: Ed25519PrivateKey, request_id: str, body: bytes, timestamp: int | None = None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hashlib.sha256(body).hexdigest()
    message = f"{request_id}\nuser-1\n{timestamp}\n{digest}".encode()
    return {
        "X-Fal-Webhook-Request-Id": request_id,
        "X-Fal-Webhook-User-Id": "user-1",
        "X-Fal-Webhook-Timestamp": str(timestamp),
        "X-Fal-Webhook-Signature": key.sign(message).hex(),
    }


def post(body: bytes, headers: dict[str, str]):
    # CSRF enforced as in production: fal never has our token.
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, body, content_type="application/json", headers=headers)


def queued(user, request_id: str = "req-1", **fields) -> Generation:
    generation = submit(user)
    fields = {"status": Status.QUEUED, **fields}
    Generation.objects.filter(pk=generation.pk).update(fal_request_id=request_id, **fields)
    generation.refresh_from_db()
    return generation


def webhook_events(generation: Generation) -> list[dict]:
    events = generation.events.filter(kind=EventKind.STATUS, payload__status="webhook")
    return list(events.values_list("payload", flat=True))


def send(key: Ed25519PrivateKey, request_id: str = "req-1", status: str = "OK", **sign_kw):
    body = delivery(request_id, status)
    return post(body, sign(key, request_id, body, **sign_kw))


def test_the_url_is_named_jobs_webhook():
    assert reverse("jobs:webhook") == URL


@pytest.mark.django_db
def test_a_signed_delivery_for_an_active_generation_is_noted_once_and_wakes_runners(
    alice, fal_key, wakes, django_capture_on_commit_callbacks
):
    generation = queued(alice)
    wakes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(fal_key)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert webhook_events(generation) == [{"status": "webhook", "outcome": "OK"}]
    assert wakes == [{"generation": str(generation.code)}]
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED  # the runner, not the webhook, finishes it


@pytest.mark.django_db
def test_a_duplicate_delivery_is_a_no_op(alice, fal_key, wakes, django_capture_on_commit_callbacks):
    generation = queued(alice)
    wakes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(fal_key)
        again = send(fal_key, status="ERROR")
    assert again.status_code == 200
    assert again.json() == {"ok": True, "ignored": "duplicate delivery"}
    assert webhook_events(generation) == [{"status": "webhook", "outcome": "OK"}]
    assert len(wakes) == 1


@pytest.mark.django_db
def test_an_error_delivery_is_noted_with_its_outcome(alice, fal_key, wakes):
    generation = queued(alice)
    assert send(fal_key, status="ERROR").status_code == 200
    assert webhook_events(generation) == [{"status": "webhook", "outcome": "ERROR"}]


@pytest.mark.django_db
def test_a_delivery_for_a_finished_generation_is_a_no_op(
    alice, fal_key, wakes, django_capture_on_commit_callbacks
):
    generation = queued(alice, status=Status.COMPLETED)
    wakes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(fal_key)
    assert response.json() == {"ok": True, "ignored": "already finished"}
    assert webhook_events(generation) == [] and wakes == []


@pytest.mark.django_db
def test_an_unknown_request_gets_200_so_fal_stops_retrying(fal_key, wakes):
    response = send(fal_key, request_id="nobody-knows")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": "unknown request"}
    assert wakes == []


@pytest.mark.django_db
def test_a_generation_backing_off_may_be_claimed_at_once(alice, fal_key, wakes):
    later = timezone.now() + timedelta(seconds=60)
    generation = queued(alice, next_attempt_at=later)
    send(fal_key)
    generation.refresh_from_db()
    assert generation.next_attempt_at is None


@pytest.mark.django_db
def test_a_signature_by_another_key_is_400(alice, fal_key, wakes):
    generation = queued(alice)
    response = send(Ed25519PrivateKey.generate())
    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    assert webhook_events(generation) == []


@pytest.mark.django_db
def test_a_tampered_body_is_400(alice, fal_key):
    generation = queued(alice)
    headers = sign(fal_key, "req-1", delivery("req-1"))
    response = post(delivery("req-1", "ERROR"), headers)
    assert response.status_code == 400
    assert webhook_events(generation) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("offset", "reason"), [(-600, "too old"), (600, "in the future")])
def test_a_stale_or_future_delivery_is_400(alice, fal_key, offset, reason):
    generation = queued(alice)
    response = send(fal_key, timestamp=int(time.time()) + offset)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert webhook_events(generation) == []


@pytest.mark.django_db
def test_an_unsigned_delivery_is_400(fal_key):
    response = post(delivery("req-1"), {})
    assert response.status_code == 400
    assert response.json() == {"error": "missing header x-fal-webhook-request-id"}


@pytest.mark.django_db
def test_a_body_for_another_request_than_signed_is_400(alice, fal_key):
    generation = queued(alice)
    body = delivery("req-1")
    response = post(body, sign(fal_key, "req-2", body))
    assert response.status_code == 400
    assert webhook_events(generation) == []


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"request_id": "req-1"}'])
def test_a_signed_body_that_is_not_a_fal_delivery_is_400(fal_key, body):
    response = post(body, sign(fal_key, "req-1", body))
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_body_over_10_mb_is_413(fal_key):
    body = b"x" * (10 * 1024 * 1024 + 1)
    response = post(body, sign(fal_key, "req-1", body))
    assert response.status_code == 413


@pytest.mark.django_db
def test_a_large_output_under_the_cap_is_accepted(alice, fal_key, wakes):
    # Bigger than Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE: big outputs must still land.
    generation = queued(alice)
    body = json.dumps(
        {"request_id": "req-1", "status": "OK", "payload": {"text": "x" * 4_000_000}}
    ).encode()
    response = post(body, sign(fal_key, "req-1", body))
    assert response.status_code == 200
    assert len(webhook_events(generation)) == 1


@pytest.mark.django_db
def test_when_fal_keys_cannot_be_fetched_the_answer_is_503_not_500(alice):
    queued(alice)
    key = Ed25519PrivateKey.generate()
    response = send(key)
    assert response.status_code == 503
    assert "error" in response.json()


def test_only_post_is_allowed():
    assert Client().get(URL).status_code == 405


# -- end to end: the live emulator delivers to the live server's receiver ----------------
def leased_elsewhere(user, request_id: str) -> Generation:
    """A queued generation whose lease another runner holds, so the live server's own
    runner leaves it alone and the webhook is the only thing that can touch it."""
    return queued(
        user,
        request_id=request_id,
        lease_owner="another-runner",
        lease_until=timezone.now() + timedelta(hours=1),
    )


async def wait_for_webhook_event(generation: Generation, timeout: float = 20.0) -> list[dict]:
    async with asyncio.timeout(timeout):
        while not (events := await sync_to_async(webhook_events)(generation)):
            await asyncio.sleep(0.05)
    return events


@pytest.mark.django_db(transaction=True)
async def test_the_emulator_webhook_reaches_the_live_receiver_and_is_verified(live_app, alice):
    urls = FalUrls.local(live_app.localfal)
    # Slow enough that the row below exists before the request ends and fal calls back.
    fault = {"X-Localfal-Fault": f"app:slow=1,key={uuid.uuid4()}"}
    async with FalClient(key="local:test", urls=urls) as fal:
        handle = await fal.submit(
            "fal-ai/flux/schnell", SMALL, webhook_url=f"{live_app.url}/webhooks/fal", headers=fault
        )
    generation = await sync_to_async(leased_elsewhere)(alice, handle.request_id)
    events = await wait_for_webhook_event(generation)
    assert events == [{"status": "webhook", "outcome": "OK"}]
    await sync_to_async(generation.refresh_from_db)()
    assert generation.status == Status.QUEUED
