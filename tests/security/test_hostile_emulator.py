"""An anonymous attacker against the embedded emulator of a production-like server (issue 11's
root finding: it used to accept any `Authorization: Key <anything>`)."""

from __future__ import annotations

import json

import httpx
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(transaction=True)
FLUX = "fal-ai/flux/schnell"


def post(url: str, key: str | None, body: object, **headers: str) -> httpx.Response:
    if key is not None:
        headers["Authorization"] = f"Key {key}"
    return httpx.post(url, content=json.dumps(body), headers=headers, timeout=10)


@pytest.mark.parametrize("key", [None, "anything", "local:emulator", "Key", "Key Key"])
def test_no_free_compute_without_this_installs_key(hostile_app, key):
    base = hostile_app.localfal
    for url in (f"{base}/queue/{FLUX}", f"{base}/run/{FLUX}", f"{base}/run/{FLUX}/stream"):
        response = post(url, key, {"prompt": "free compute"})
        assert response.status_code == 401, url
        assert response.json()["detail"].startswith("Missing or invalid credentials")


def test_no_free_file_hosting_or_realtime_tokens_without_the_key(hostile_app):
    base = hostile_app.localfal
    for path in ("rest/storage/upload/initiate", "rest/storage/upload/initiate-multipart"):
        assert post(f"{base}/{path}", "guess", {"content_type": "text/html"}).status_code == 401
    assert post(f"{base}/rest/storage/auth/token", "guess", {}).status_code == 401
    assert post(f"{base}/rest/tokens/", "guess", {"allowed_apps": ["x"]}).status_code == 401


def test_the_install_key_works_and_its_requests_are_its_own(hostile_app):
    submitted = post(f"{hostile_app.localfal}/queue/{FLUX}", settings.LOCALFAL_KEY, {"prompt": "a"})
    assert submitted.status_code == 200
    status_url = submitted.json()["status_url"]
    assert httpx.get(status_url, headers={"Authorization": "Key other"}).status_code == 401
    mine = httpx.get(status_url, headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"})
    assert mine.status_code in (200, 202)


def test_the_request_listing_does_not_exist_in_production(hostile_app):
    assert httpx.get(f"{hostile_app.localfal}/_emulator/requests").status_code == 404


def test_fault_headers_cannot_fail_or_slow_requests_in_production(hostile_app):
    response = post(
        f"{hostile_app.localfal}/queue/{FLUX}",
        settings.LOCALFAL_KEY,
        {"prompt": "a"},
        **{"X-Localfal-Fault": "submit:503,app:slow=60"},
    )
    assert response.status_code == 200


def test_deeply_nested_json_is_a_422(hostile_app):
    body = '{"prompt": "a", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = httpx.post(
        f"{hostile_app.localfal}/queue/{FLUX}",
        content=body,
        headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
        timeout=10,
    )
    assert response.status_code == 422
    assert httpx.get(f"{hostile_app.url}/healthz").status_code == 200


def test_realtime_wants_the_key_too(hostile_app):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = hostile_app.localfal.replace("http", "ws") + "/run/fal-ai/lcm-sd15-i2i/realtime"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers={"Authorization": "Key guess"}, open_timeout=5)
    assert refused.value.response.status_code == 403
