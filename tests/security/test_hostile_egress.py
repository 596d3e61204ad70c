"""Making the server fetch a private address, against a real server (daphne, DEBUG off).

The probes aim at a canary listening on this machine's loopback, standing for whatever is
private (Redis, an admin port, a metadata service): each probe must be refused with a clear
fal-style error and the canary must never be reached. The emulator needs the install key;
someone holding it (or an app that forwards user input) sends what is below.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings

from tests.lib.egress_fakes import loopback_canary

pytestmark = pytest.mark.django_db(transaction=True)
FLUX = "fal-ai/flux/schnell"
KONTEXT = "fal-ai/flux-kontext/dev"
SMALL = {"prompt": "a fox", "image_size": {"width": 64, "height": 48}}
# Ways of writing 127.0.0.1 (and its IPv6 neighbours) that a naive check lets through.
LOOPBACK_FORMS = [
    "127.0.0.1",
    "localhost",
    "2130706433",
    "0x7f.0.0.1",
    "127.1",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
]


@pytest.fixture(scope="module")
def canary() -> Iterator[tuple[int, list[str]]]:
    with loopback_canary() as (port, hits):
        yield port, hits


def key() -> dict[str, str]:
    return {"Authorization": f"Key {settings.LOCALFAL_KEY}"}


def submit(live_app, webhook: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{live_app.localfal}/queue/{FLUX}",
        params={"fal_webhook": webhook},
        json=SMALL,
        headers={**key(), **headers},
        timeout=10,
    )


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_a_webhook_to_a_private_port_is_refused_at_submit(live_app, canary, host):
    port, hits = canary
    response = submit(live_app, f"http://{host}:{port}/steal")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_type"] == "bad_request"
    assert body["detail"].startswith("fal_webhook is refused: ")
    assert "is not a public address" in body["detail"]
    assert hits == []


def test_a_host_header_naming_the_private_port_does_not_make_it_this_server(live_app, canary):
    port, hits = canary
    response = submit(live_app, f"http://127.0.0.1:{port}/steal", Host=f"127.0.0.1:{port}")
    assert response.status_code == 400, response.text
    assert "127.0.0.1 is not a public address" in response.json()["detail"]
    assert hits == []


@pytest.mark.parametrize("webhook", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO"])
def test_a_webhook_that_is_not_http_is_refused_at_submit(live_app, webhook):
    response = submit(live_app, webhook)
    assert response.status_code == 400, response.text
    assert "only http and https URLs" in response.json()["detail"]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_an_input_url_on_a_private_port_is_never_fetched(live_app, canary, host):
    port, hits = canary
    response = httpx.post(
        f"{live_app.localfal}/run/{KONTEXT}",
        json={"prompt": "x", "image_url": f"http://{host}:{port}/secret.png"},
        headers=key(),
        timeout=30,
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["type"] == "file_download_error"
    assert "is not a public address" in error["msg"]
    assert hits == []


def test_the_server_still_calls_itself_back(live_app):
    """This server's own address stays a valid webhook (the app's /webhooks/fal)."""
    response = submit(live_app, f"{live_app.url}/webhooks/fal")
    assert response.status_code == 200, response.text
