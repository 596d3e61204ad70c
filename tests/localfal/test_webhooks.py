"""The emulator's signed webhooks (fal-protocol.md §9), received by a tiny HTTP server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import AsyncClient

from playground.fal.client import FalClient
from playground.fal.types import FalUrls
from playground.fal.webhooks import fetch_jwks, parse_jwks, verify_webhook
from playground.localfal import webhooks
from playground.localfal.engine import EmuRequest, Failure
from tests.conftest import _live_server

# The live server reads the catalog from the test database, committed.
LIVE = pytest.mark.django_db(transaction=True)
SMALL = {"prompt": "a fox", "image_size": {"width": 64, "height": 48}}


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200) and keeps what came."""

    url: str
    statuses: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def take(self, delivery: Delivery) -> int:
        with self.arrived:
            self.deliveries.append(delivery)
            self.arrived.notify_all()
            return self.statuses.pop(0) if self.statuses else 200

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Delivery]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)


@dataclass
class ReceiverServer:
    """A webhook receiver on this machine for the whole module; each test gets a fresh
    `Receiver` on it (the live server below is told this origin is allowed)."""

    origin: str
    current: Receiver | None = None


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[ReceiverServer]:
    holder = ReceiverServer(origin="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            assert holder.current is not None
            status = holder.current.take(Delivery(dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.origin = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(receiver_server) -> Receiver:
    receiver_server.current = Receiver(url=f"{receiver_server.origin}/hook?source=test")
    return receiver_server.current


@pytest.fixture(scope="module")
def webhook_app(django_db_setup, django_db_blocker, tmp_path_factory, receiver_server):
    """The live server, told that the receiver's origin (on this machine) may be called."""
    with _live_server(
        django_db_blocker,
        tmp_path_factory.mktemp("live-webhooks"),
        LOCALFAL_SPEED="0.01",
        RUNNER_EMBEDDED="0",
        LOCALFAL_WEBHOOK_ORIGINS=receiver_server.origin,
        name="server-webhooks",
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


async def submit(live_app, receiver: Receiver, data: dict) -> str:
    urls = FalUrls.local(live_app.localfal)
    async with FalClient(key=settings.LOCALFAL_KEY, urls=urls) as fal:
        handle = await fal.submit("fal-ai/flux/schnell", data, webhook_url=receiver.url)
    return handle.request_id


async def live_keys(live_app) -> list[bytes]:
    return await fetch_jwks(FalUrls.local(live_app.localfal))


@LIVE
async def test_a_finished_request_delivers_a_webhook_signed_by_the_published_key(
    webhook_app, receiver
):
    request_id = await submit(webhook_app, receiver, SMALL)
    [delivery] = await asyncio.to_thread(receiver.wait_for, 1)
    verify_webhook(delivery.headers, delivery.body, keys=await live_keys(webhook_app))
    assert delivery.headers["X-Fal-Webhook-Request-Id"] == request_id
    assert delivery.headers["X-Fal-Webhook-User-Id"] == "localfal"
    assert delivery.headers["Content-Type"] == "application/json"
    body = json.loads(delivery.body)
    assert body["request_id"] == body["gateway_request_id"] == request_id
    assert body["status"] == "OK" and "error" not in body
    assert body["payload"]["images"][0]["width"] == 64


@LIVE
async def test_a_receiver_that_fails_gets_the_same_body_again_freshly_signed(webhook_app, receiver):
    receiver.statuses = [500]
    await submit(webhook_app, receiver, SMALL)
    first, second = await asyncio.to_thread(receiver.wait_for, 2)
    keys = await live_keys(webhook_app)
    verify_webhook(first.headers, first.body, keys=keys)
    verify_webhook(second.headers, second.body, keys=keys)
    assert first.body == second.body


@LIVE
async def test_a_failed_request_delivers_fal_error_shape(webhook_app, receiver):
    request_id = await submit(webhook_app, receiver, {"prompt": 5})
    [delivery] = await asyncio.to_thread(receiver.wait_for, 1)
    verify_webhook(delivery.headers, delivery.body, keys=await live_keys(webhook_app))
    body = json.loads(delivery.body)
    assert body["request_id"] == request_id
    assert body["status"] == "ERROR"
    assert body["error"] == "Invalid status code: 422"
    assert body["payload"]["detail"][0]["loc"] == ["body", "prompt"]


async def test_the_jwks_is_public_and_describes_one_ed25519_signing_key():
    response = await AsyncClient().get("/localfal/rest/.well-known/jwks.json")
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert key["kid"] and "=" not in key["x"]
    again = await AsyncClient().get("/localfal/rest/.well-known/jwks.json")
    assert again.json() == response.json()  # one key per process


def test_the_signer_and_the_verifier_agree():
    body = b'{"request_id": "r"}'
    headers = webhooks.signed_headers("r", body)
    verify_webhook(headers, body, keys=parse_jwks(webhooks.jwks()))


def emu_request(webhook_url: str, **fields) -> EmuRequest:
    return EmuRequest(
        endpoint_id="fal-ai/flux/schnell",
        app="fal-ai/flux",
        category="image",
        input={},
        output_schema={},
        base_url="http://testserver/localfal",
        webhook_url=webhook_url,
        **fields,
    )


def test_an_output_that_is_not_json_travels_as_payload_error():
    body = json.loads(webhooks.encode(webhooks.payload_of(emu_request("", output={1j}))))
    assert body["status"] == "OK" and body["payload"] is None
    assert "not JSON" in body["payload_error"]


def test_a_cancelled_request_reports_its_status_code():
    failure = Failure("Cancelled.", "client_cancelled", 499, {"detail": "Cancelled."})
    body = webhooks.payload_of(emu_request("", failure=failure))
    assert body["error"] == "Invalid status code: 499"
    assert body["payload"] == {"detail": "Cancelled."}


async def test_delivery_gives_up_after_ten_attempts_without_raising(receiver, settings):
    settings.LOCALFAL_SPEED = 0.0001  # the two-hour schedule in under a second
    receiver.statuses = [503] * 20
    await webhooks.deliver(emu_request(receiver.url, output={}, webhook_to_self=True))
    assert len(receiver.deliveries) == 10


async def test_an_unreachable_receiver_is_retried_then_abandoned(settings, caplog):
    settings.LOCALFAL_SPEED = 0.0
    caplog.set_level(logging.INFO, logger="playground.localfal.webhooks")
    # Port 9 (discard) is closed on test machines: every attempt is a transport error.
    await webhooks.deliver(emu_request("http://127.0.0.1:9/hook", output={}, webhook_to_self=True))
    assert sum("failed; retrying" in r.message for r in caplog.records) == 9
    assert "gave up" in caplog.records[-1].message


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)", "http://", ""]
)
async def test_only_http_urls_are_delivered_to(url, monkeypatch):
    attempts: list[str] = []

    async def attempt(target, allowed, request_id, body) -> bool:
        attempts.append(target)
        return True

    monkeypatch.setattr(webhooks, "_attempt", attempt)
    await webhooks.deliver(emu_request(url, output={}))
    await webhooks.deliver(emu_request("https://example.com/hook", output={}))
    assert attempts == ["https://example.com/hook"]
