"""The lane: token callers of the gateway answered ahead of Django (gateway/lane.py), and
the memory that lets a poll cost no query (lib/memo.py)."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import RequestFactory

from playground.accounts.models import FalCredential
from playground.asgi import application
from playground.gateway import engine, lane
from playground.gateway.callers import Caller, Refused, token_caller
from playground.gateway.models import RequestLog
from playground.gateway.targets import Host, parse
from playground.lib.memo import NotRemembered

SUBMIT = "https://queue.fal.run/fal-ai/flux/schnell"
INPUT = json.dumps({"prompt": "a fox", "image_size": {"width": 64, "height": 64}}).encode()


def scope(path: str, headers: dict[str, str], method: str = "GET") -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }  # fmt: skip


async def call(path, headers, body: bytes | None = b"", method="GET"):
    """Status, headers and body of the app's answer. body None: the caller sends nothing
    (an app that waits for a body would time out here)."""
    talk = ApplicationCommunicator(application, scope(path, headers, method))
    if body is not None:
        await talk.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await talk.receive_output(20)
    answer = b""
    while True:
        message = await talk.receive_output(20)
        answer += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], dict(start["headers"]), answer


def key(secret: str) -> dict[str, str]:
    return {"authorization": f"Key {secret}"}


def test_only_the_gateway_entrances_take_the_lane():
    assert lane.entrance_of("/api/fal/proxy") is None
    assert lane.entrance_of("/gateway/fal/fal-ai/flux/dev") is Host.RUN
    assert lane.entrance_of("/gateway/fal-queue/fal-ai/flux/requests/1") is Host.QUEUE
    assert lane.entrance_of("/gateway/fal-rest/storage/upload/initiate") is Host.REST
    for path in ("/api/fal/proxy/", "/gateway/fal/", "/gateway/requests/", "/", "/gateway/fa"):
        assert lane.entrance_of(path) is lane.NOT_GATEWAY, path


@pytest.mark.django_db(transaction=True)
def test_a_token_call_is_answered_by_the_lane_and_logged(emulator, alice_token):
    headers = {**key(alice_token), "x-fal-target-url": SUBMIT, "content-type": "application/json"}

    status, answer_headers, body = asyncio.run(call("/api/fal/proxy", headers, INPUT, "POST"))

    assert status == 200, body
    handle = json.loads(body)
    assert handle["status_url"].startswith("https://queue.fal.run/fal-ai/flux/requests/")
    # The lane's own safety headers (Django's pages carry the site's policy instead).
    assert b"sandbox" in answer_headers[b"content-security-policy"]
    assert answer_headers[b"x-content-type-options"] == b"nosniff"
    row = RequestLog.objects.get()
    assert (row.entrance, row.kind, row.request_id) == ("proxy", "submit", handle["request_id"])


@pytest.mark.django_db(transaction=True)
def test_callers_without_credentials_are_refused_before_their_body_is_read(emulator):
    headers = {"x-fal-target-url": SUBMIT, "content-length": "30000000"}

    status, answer_headers, body = asyncio.run(call("/api/fal/proxy", headers, None, "POST"))

    assert status == 401
    assert "access token" in json.loads(body)["detail"]
    assert answer_headers[b"www-authenticate"].startswith(b"Key")


@pytest.mark.django_db(transaction=True)
def test_an_unknown_token_is_refused_before_its_body_is_read(emulator):
    headers = {**key("pgt_" + "x" * 43), "x-fal-target-url": SUBMIT}

    status, _, body = asyncio.run(call("/gateway/fal/fal-ai/flux/schnell", headers, None, "POST"))

    assert status == 401
    assert json.loads(body)["detail"] == "Unknown, expired or revoked access token."
    assert RequestLog.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_each_kind_of_call_has_its_own_body_cap(emulator, alice, alice_token, settings):
    RequestLog.objects.create(user=alice, request_id="abc", kind="submit", entrance="proxy")
    status_url = "https://queue.fal.run/fal-ai/flux/requests/abc/cancel"
    said = {**key(alice_token), "x-fal-target-url": status_url, "content-length": "100000"}
    assert asyncio.run(call("/api/fal/proxy", said, None, "PUT"))[0] == 413

    settings.GATEWAY_MAX_BODY_BYTES = 1000  # a model input over the limit, sent unannounced
    sent = {**key(alice_token), "x-fal-target-url": SUBMIT}
    status, _, body = asyncio.run(call("/api/fal/proxy", sent, b"{" + b" " * 2000 + b"}", "POST"))
    assert status == 413
    assert "1000 bytes" in json.loads(body)["detail"]
    assert RequestLog.objects.count() == 1  # nothing went out, nothing was logged


@pytest.mark.django_db(transaction=True)
def test_browser_sessions_are_left_to_django(emulator):
    headers = {"x-fal-target-url": SUBMIT, "cookie": "sessionid=not-a-session"}

    status, answer_headers, _ = asyncio.run(call("/api/fal/proxy", headers, b"", "POST"))

    assert status == 401  # Django's view: no such session
    assert b"sandbox" not in answer_headers.get(b"content-security-policy", b"")


@pytest.mark.django_db(transaction=True)
def test_a_host_this_site_does_not_serve_is_refused(emulator, alice_token, settings):
    settings.ALLOWED_HOSTS = ["playground.example"]
    headers = {**key(alice_token), "x-fal-target-url": SUBMIT}

    status, _, body = asyncio.run(call("/api/fal/proxy", headers, INPUT, "POST"))

    assert status == 400
    assert json.loads(body)["detail"] == "This host name is not served here."


def test_a_caller_leaving_a_stream_stops_it_at_once():
    closed = asyncio.Event()
    sent: list[dict] = []

    async def endless():
        try:
            while True:
                yield b"data: {}\n\n"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    async def receive():
        if len(sent) < 3:
            await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def scenario():
        await asyncio.wait_for(lane._stream(send, receive, endless()), 5)
        return closed.is_set()

    assert asyncio.run(scenario()) is True
    assert all(message.get("more_body") for message in sent)  # never claimed to be complete


@pytest.mark.django_db
def test_a_poll_after_the_first_is_admitted_from_memory(
    alice, alice_token, settings, django_assert_num_queries
):
    settings.GATEWAY_CACHE_SECONDS = 60
    RequestLog.objects.create(user=alice, request_id="req-1", kind="submit", entrance="proxy")
    request = RequestFactory().get("/api/fal/proxy")
    target = parse("https://queue.fal.run/fal-ai/flux/requests/req-1/status")

    def identify(memory_only=False):
        return token_caller(f"Key {alice_token}", memory_only=memory_only)

    with pytest.raises(NotRemembered):
        engine.admit(request, target, identify, memory_only=True)
    first = engine.admit(request, target, identify)
    with django_assert_num_queries(0):
        again = engine.admit(request, target, identify, memory_only=True)

    assert again.row.pk == first.row.pk
    assert again.caller.user_id == alice.pk


@pytest.mark.django_db
def test_another_persons_request_is_never_remembered_as_allowed(alice, charlie_token, settings):
    settings.GATEWAY_CACHE_SECONDS = 60
    RequestLog.objects.create(user=alice, request_id="req-2", kind="submit", entrance="proxy")
    request = RequestFactory().get("/api/fal/proxy")
    target = parse("https://queue.fal.run/fal-ai/flux/requests/req-2/status")

    def identify(memory_only=False):
        return token_caller(f"Key {charlie_token}", memory_only=memory_only)

    for _ in range(2):
        with pytest.raises(Refused) as refusal:
            engine.admit(request, target, identify)
        assert refusal.value.status == 404
    with pytest.raises(NotRemembered):
        engine.admit(request, target, identify, memory_only=True)


@pytest.mark.django_db
def test_a_new_fal_key_is_used_on_the_next_call(alice, settings):
    settings.GATEWAY_CACHE_SECONDS = 60
    settings.FAL_MODE = "fal"
    settings.FAL_KEY = ""
    credential = FalCredential(user=alice)
    credential.set_key("old-key-1111")
    credential.save()
    request = RequestFactory().post("/api/fal/proxy")
    target = parse(SUBMIT)
    caller = Caller(user_id=alice.pk)

    def identify(memory_only=False):
        return caller

    assert engine.admit(request, target, identify).key == "old-key-1111"
    credential.set_key("new-key-2222")
    credential.save()

    assert engine.admit(request, target, identify, memory_only=False).key == "new-key-2222"


@pytest.mark.django_db
def test_fal_hears_who_is_calling_only_from_the_gateway(alice, alice_token, settings):
    settings.GATEWAY_TAGS_HEADER = "X-Fal-Tags"
    request = RequestFactory().post(
        "/api/fal/proxy", HTTP_X_FAL_TAGS="team:someone-else", HTTP_X_FAL_QUEUE_PRIORITY="low",
        HTTP_X_BILLING="spoof",
    )  # fmt: skip
    caller = token_caller(f"Key {alice_token}")
    admission = engine.Admission(caller, "the-fal-key", None)

    sent = engine._headers(request, admission, "gateway")

    assert sent["x-fal-tags"] == (
        f"source:playground,entrance:gateway,user:{alice.pk},token:{caller.token.pk}"
    )
    assert sent["x-fal-queue-priority"] == "low"
    assert sent["x-fal-client-proxy"] == "playground-gateway"
    assert sent["Authorization"] == "Key the-fal-key"
    assert "x-billing" not in sent

    settings.GATEWAY_TAGS_HEADER = ""
    assert "x-fal-tags" not in engine._headers(request, admission, "gateway")
