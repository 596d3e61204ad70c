"""The emulator is this install's private backend: its key only, each request its key's,
no fault injection or request listing for strangers, bounded state (issue 11)."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.core.checks import run_checks
from django.test import AsyncClient

from playground.asgi import application
from playground.localfal import faults
from playground.localfal.engine import get_engine, reset_engine
from playground.localfal.views import common

FLUX = "/localfal/queue/fal-ai/flux/schnell"
PROMPT = json.dumps({"prompt": "fox"})


@pytest.fixture(autouse=True)
def fresh_engine():
    reset_engine()
    yield
    reset_engine()


def key(value: str) -> dict[str, str]:
    return {"Authorization": f"Key {value}"}


async def submit(client: AsyncClient, credential: str, body: str = PROMPT, **headers: str):
    return await client.post(
        FLUX, body, content_type="application/json", headers={**key(credential), **headers}
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("header", ["", "Key", "Key someone-else", "Bearer guess", "Basic x"])
async def test_a_stranger_gets_401_json_on_every_fal_route(settings, header):
    client = AsyncClient()
    headers = {"Authorization": header} if header else {}
    request_id = "00000000-0000-0000-0000-000000000000"
    base = f"/localfal/queue/fal-ai/flux/requests/{request_id}"
    calls = [
        client.post(FLUX, PROMPT, content_type="application/json", headers=headers),
        client.post(
            "/localfal/run/fal-ai/flux/schnell", PROMPT, "application/json", headers=headers
        ),
        client.get(f"{base}/status", headers=headers),
        client.get(f"{base}/status/stream", headers=headers),
        client.get(base, headers=headers),
        client.put(f"{base}/cancel", headers=headers),
        client.post("/localfal/rest/tokens/", "{}", "application/json", headers=headers),
        client.post(
            "/localfal/rest/storage/upload/initiate", "{}", "application/json", headers=headers
        ),
        client.post("/localfal/rest/storage/auth/token", "{}", "application/json", headers=headers),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 401, response.request
        assert "LOCALFAL_KEY" in response.json()["detail"]
    assert get_engine().listing() == []  # nothing ran


@pytest.mark.django_db(transaction=True)
async def test_the_install_key_gets_in(settings):
    response = await submit(AsyncClient(), settings.LOCALFAL_KEY)
    assert response.status_code == 200
    assert response.json()["status"] == "IN_QUEUE"


@pytest.mark.django_db(transaction=True)
async def test_a_request_answers_only_the_key_that_submitted_it(settings):
    client = AsyncClient()
    first_key = settings.LOCALFAL_KEY
    body = (await submit(client, first_key)).json()
    settings.LOCALFAL_KEY = "the-rotated-key"  # a new key gets in, but not to old requests
    for url in (body["status_url"], body["response_url"], f"{body['status_url']}/stream"):
        response = await client.get(url, headers=key("the-rotated-key"))
        assert response.status_code == 404, url
    cancel = await client.put(body["cancel_url"], headers=key("the-rotated-key"))
    assert cancel.status_code == 404
    settings.LOCALFAL_KEY = first_key
    assert (await client.get(body["status_url"], headers=key(first_key))).status_code in (200, 202)


@pytest.mark.django_db(transaction=True)
async def test_the_request_listing_exists_only_for_development(settings):
    client = AsyncClient()
    await submit(client, settings.LOCALFAL_KEY)
    settings.LOCALFAL_INSPECT = False
    assert (await client.get("/localfal/_emulator/requests")).status_code == 404
    settings.LOCALFAL_INSPECT = True
    listed = (await client.get("/localfal/_emulator/requests")).json()["requests"]
    assert len(listed) == 1


@pytest.mark.django_db(transaction=True)
async def test_fault_headers_are_ignored_unless_allowed(settings):
    client = AsyncClient()
    settings.LOCALFAL_FAULTS_ALLOWED = False
    ignored = await submit(client, settings.LOCALFAL_KEY, **{"X-Localfal-Fault": "submit:503"})
    assert ignored.status_code == 200
    settings.LOCALFAL_FAULTS_ALLOWED = True
    honoured = await submit(client, settings.LOCALFAL_KEY, **{"X-Localfal-Fault": "submit:503"})
    assert honoured.status_code == 503


@pytest.mark.django_db(transaction=True)
async def test_the_operators_own_fault_rules_still_apply_in_production(settings):
    settings.LOCALFAL_FAULTS_ALLOWED = False
    settings.LOCALFAL_FAULTS = "submit:429"
    response = await submit(AsyncClient(), settings.LOCALFAL_KEY)
    assert response.status_code == 429


@pytest.mark.django_db(transaction=True)
async def test_a_full_queue_answers_429_instead_of_growing(settings):
    settings.LOCALFAL_MAX_QUEUED = 2
    settings.LOCALFAL_RUNNERS = 1
    reset_engine()
    client = AsyncClient()
    slow = {"X-Localfal-Fault": "app:slow=30"}
    codes = [(await submit(client, settings.LOCALFAL_KEY, **slow)).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200]  # one running, two waiting
    assert codes[3] == 429


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("depth", [100, 100_000])
async def test_deeply_nested_json_is_a_422_not_a_crash(settings, depth):
    body = json.dumps({"prompt": "fox", "extra": 0}).replace("0", "[" * depth + "]" * depth)
    for url in (FLUX, "/localfal/run/fal-ai/flux/schnell"):
        response = await AsyncClient().post(
            url, body, content_type="application/json", headers=key(settings.LOCALFAL_KEY)
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body"]


def test_nesting_depth_counts_lists_and_objects():
    assert common.nesting_depth("text") == 0
    assert common.nesting_depth({"a": [1, {"b": []}]}) == 4


@pytest.mark.django_db
async def test_the_endpoint_cache_stays_bounded_whatever_ids_are_asked_for(monkeypatch):
    monkeypatch.setattr(common, "ENDPOINT_CACHE_SIZE", 5)
    common._endpoint_cache.clear()
    for n in range(20):
        await common.endpoint_for(f"nobody/made-up-{n}")
    assert len(common._endpoint_cache) == 5
    assert "nobody/made-up-19" in common._endpoint_cache


def test_fault_counters_stay_bounded(monkeypatch):
    book = faults.FaultBook()
    monkeypatch.setattr(book, "MAX_COUNTERS", 10)
    rule = faults.parse("submit:503*1")
    for n in range(50):
        book.pick("submit", f"submit:503*1,key={n}", rule)
    assert len(book._fired) == 10


@pytest.mark.django_db(transaction=True)
async def test_realtime_handshake_with_a_stranger_key_is_refused():
    url = "/localfal/run/fal-ai/lcm-sd15-i2i/realtime"
    headers = [(b"origin", b"http://testserver"), (b"authorization", b"Key someone-else")]
    communicator = WebsocketCommunicator(application, url, headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


def test_deploy_check_warns_when_the_emulator_serves_production_with_a_generated_key(settings):
    settings.DEBUG = False
    settings.LOCALFAL_ENABLED = True
    settings.LOCALFAL_KEY_FROM_ENV = False
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "localfal.W001" in ids
    settings.LOCALFAL_KEY_FROM_ENV = True
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "localfal.W001" not in ids
    settings.LOCALFAL_KEY_FROM_ENV, settings.LOCALFAL_ENABLED = False, False
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "localfal.W001" not in ids
