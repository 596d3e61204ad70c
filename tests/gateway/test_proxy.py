"""/api/fal/proxy: what `@fal-ai/client` sends with `proxyUrl`, forwarded to the emulator."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from playground.gateway.models import AccessToken, RequestLog
from tests.gateway.conftest import auth, target

pytestmark = pytest.mark.django_db
PROXY = "/api/fal/proxy"
SUBMIT = "https://queue.fal.run/fal-ai/flux/schnell"
INPUT = json.dumps({"prompt": "a lighthouse", "image_size": {"width": 64, "height": 64}})


def submit(client, secret, url=SUBMIT, scheme="Key"):
    return client.post(
        PROXY, INPUT, content_type="application/json", **auth(secret, scheme), **target(url)
    )


def test_a_queue_submit_passes_through_and_names_fal_urls_only(client, emulator, alice_token):
    response = submit(client, alice_token)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status_url"].startswith("https://queue.fal.run/fal-ai/flux/requests/")
    assert emulator.url not in response.content.decode()
    row = RequestLog.objects.get()
    assert (row.request_id, row.kind, row.entrance) == (body["request_id"], "submit", "proxy")
    assert row.endpoint_id == "fal-ai/flux/schnell"
    assert row.token.label == "alice's app"
    assert row.status == 200 and row.bytes_in == len(INPUT)


def test_status_and_result_follow_the_request_and_count_on_its_row(client, emulator, alice_token):
    submitted = submit(client, alice_token)
    handle = submitted.json()

    status = client.get(PROXY, **auth(alice_token, "Bearer"), **target(handle["status_url"]))
    result = client.get(PROXY, **auth(alice_token), **target(handle["response_url"]))

    assert status.status_code in (200, 202)
    assert status.json()["status"] in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    # The emulator at test speed finishes almost at once; on a busy machine the result may
    # still be on its way (202 with the status), as the emulator answers it.
    assert result.status_code in (200, 202), result.content
    row = RequestLog.objects.get()
    assert row.follow_ups == 2
    if result.status_code == 200:
        assert result.json()["images"][0]["url"].startswith("http")
        assert row.state == "COMPLETED"
        answers = (submitted, status, result)
        assert row.bytes_out == sum(len(answer.content) for answer in answers)


def test_an_unknown_or_revoked_token_gets_401_json(client, emulator, alice_token):
    AccessToken.objects.update(revoked="2026-01-01T00:00:00Z")

    for secret in (alice_token, "pgt_made-up", "local:test"):
        response = submit(client, secret)
        assert response.status_code == 401
        assert "token" in response.json()["detail"]
    assert RequestLog.objects.count() == 0


def test_no_credentials_gets_401_json(client, emulator):
    response = client.post(PROXY, INPUT, content_type="application/json", **target(SUBMIT))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Key")
    assert "Sign in" in response.json()["detail"]


def test_someone_elses_request_is_not_found(client, emulator, alice_token, charlie_token):
    handle = submit(client, alice_token).json()

    for url in (handle["status_url"], handle["response_url"]):
        response = client.get(PROXY, **auth(charlie_token), **target(url))
        assert response.status_code == 404
    cancel = client.put(PROXY, **auth(charlie_token), **target(handle["cancel_url"]))
    assert cancel.status_code == 404


def test_a_signed_in_session_may_call_but_writes_need_the_csrf_token(emulator, alice):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    refused = browser.post(PROXY, INPUT, content_type="application/json", **target(SUBMIT))
    browser.get("/accounts/tokens/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    allowed = browser.post(
        PROXY, INPUT, content_type="application/json", HTTP_X_CSRFTOKEN=token, **target(SUBMIT)
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert allowed.status_code == 200, allowed.content
    assert RequestLog.objects.get().token is None


def test_the_callers_authorization_and_billing_headers_never_reach_fal(
    client, emulator, alice_token, monkeypatch
):
    from playground.gateway import engine

    sent = {}
    real_open = engine.open_upstream

    async def spy(method, url, *, headers, body, timeout):
        sent.update(headers)
        return await real_open(method, url, headers=headers, body=body, timeout=timeout)

    monkeypatch.setattr(engine, "open_upstream", spy)
    client.post(
        PROXY, INPUT, content_type="application/json", **auth(alice_token), **target(SUBMIT),
        HTTP_X_FAL_TAGS="billing=someone-else", HTTP_X_FAL_QUEUE_PRIORITY="low",
        HTTP_COOKIE="sessionid=x",
    )  # fmt: skip

    assert sent["Authorization"] == "Key local:test"  # the resolved key, not the token
    assert alice_token not in json.dumps(sent)
    assert sent["x-fal-queue-priority"] == "low"
    assert "x-fal-tags" not in sent and "cookie" not in sent


def test_fal_errors_keep_their_status(client, emulator, alice_token):
    response = client.post(
        PROXY, json.dumps({"image_size": "nonsense"}), content_type="application/json",
        **auth(alice_token), **target("https://fal.run/fal-ai/flux/schnell"),
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_method_fal_does_not_use_is_405(client, emulator, alice_token):
    response = client.delete(PROXY, **auth(alice_token), **target(SUBMIT))

    assert response.status_code == 405
    assert "DELETE" in response.json()["detail"]


class Listener:
    """A local TCP port that counts connections: proof that nothing was forwarded to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()


def test_hostile_targets_are_refused_and_nothing_reaches_a_local_listener(
    client, emulator, alice_token
):
    from tests.gateway.test_targets import HOSTILE

    listener = Listener()
    port = listener.port
    aimed = [
        f"https://127.0.0.1:{port}/fal-ai/flux/dev",
        f"http://127.0.0.1:{port}/fal-ai/flux/dev",
        f"https://fal.run@127.0.0.1:{port}/fal-ai/flux/dev",
        f"https://fal.run:{port}/fal-ai/flux/dev",
        f"https://localhost:{port}/fal-ai/flux/dev",
        f"https://[::ffff:127.0.0.1]:{port}/fal-ai/flux/dev",
        f"https://2130706433:{port}/fal-ai/flux/dev",
    ]
    try:
        for url in aimed + [u for u in HOSTILE if "\r" not in u and "\n" not in u]:
            response = client.post(
                PROXY, INPUT, content_type="application/json", **auth(alice_token),
                **target(url),
            )  # fmt: skip
            assert response.status_code in (400, 403), (url, response.status_code)
            assert response.json()["detail"]
    finally:
        listener.close()
    assert listener.connections == 0
    assert RequestLog.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("", 300.0), ("60", 90.0), ("99999", 3600.0), ("nan", 300.0), ("inf", 300.0),
     ("-5", 300.0), ("soon", 300.0)],
)  # fmt: skip
def test_only_a_real_request_timeout_stretches_the_wait(rf, settings, header, expected):
    from playground.gateway.engine import _timeout

    settings.GATEWAY_TIMEOUT_SECONDS = 300.0
    headers = {"HTTP_X_FAL_REQUEST_TIMEOUT": header} if header else {}

    assert _timeout(rf.get("/api/fal/proxy", **headers)) == expected
