"""Where the emulator may send a webhook: public addresses, or this server itself; checked
at submit and again on every delivery attempt, connected to as checked, no redirects."""

from __future__ import annotations

import logging

import httpx
import pytest
from django.test import AsyncClient, RequestFactory

from playground.lib import egress
from playground.localfal import webhooks
from playground.localfal.views.common import base_url
from tests.lib.egress_fakes import PUBLIC, PUBLIC_TOO, Recorder, Resolver, redirect
from tests.localfal.test_webhooks import emu_request

SUBMIT = "/localfal/queue/fal-ai/flux/schnell"
SMALL = {"prompt": "a fox", "image_size": {"width": 64, "height": 48}}


async def submit_with_webhook(settings, hook: str) -> httpx.Response:
    return await AsyncClient().post(
        SUBMIT,
        SMALL,
        content_type="application/json",
        query_params={"fal_webhook": hook},
        headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
    )


async def target_of(hook: str, **extra) -> webhooks.WebhookTarget:
    request = RequestFactory().post(SUBMIT, query_params={"fal_webhook": hook}, **extra)
    return await webhooks.webhook_target(request, "http://testserver/localfal")


# Loopback only: were the rule missing, the emulator would call these back.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "hook",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:8000/webhooks/fal",
        "http://[::1]:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://2130706433/hook",
    ],
)
async def test_a_submit_with_a_private_webhook_is_refused_with_a_fal_error(settings, hook):
    response = await submit_with_webhook(settings, hook)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("fal_webhook is refused: ")
    assert "is not a public address" in body["detail"]
    assert body["error_type"] == "bad_request"


@pytest.mark.django_db
@pytest.mark.parametrize("hook", ["ftp://example.com/x", "file:///etc/passwd", "http://"])
async def test_a_submit_with_a_webhook_that_is_not_http_is_refused(settings, hook):
    response = await submit_with_webhook(settings, hook)
    assert response.status_code == 400
    assert "only http and https URLs" in response.json()["detail"]


@pytest.mark.parametrize(
    "hook", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/", "http://[fc00::1]/"]
)
async def test_the_metadata_service_and_the_local_network_are_no_webhook_targets(hook):
    with pytest.raises(webhooks.WebhookRefused, match="is not a public address"):
        await target_of(hook)


async def test_a_host_header_naming_another_port_does_not_make_it_this_server():
    """`Host: 127.0.0.1:6379` is the client's word, not where the request arrived (80)."""
    request = RequestFactory().post(
        SUBMIT, query_params={"fal_webhook": "http://127.0.0.1:6379/"}, HTTP_HOST="127.0.0.1:6379"
    )
    assert base_url(request) == "http://127.0.0.1:6379/localfal"
    with pytest.raises(webhooks.WebhookRefused, match=r"127\.0\.0\.1 is not a public address"):
        await webhooks.webhook_target(request, base_url(request))


async def test_this_server_as_reached_is_a_webhook_target():
    target = await target_of("http://testserver/webhooks/fal")
    assert target == webhooks.WebhookTarget("http://testserver/webhooks/fal", to_self=True)


async def test_the_public_base_url_is_this_server(settings):
    settings.PUBLIC_BASE_URL = "http://localhost:8000"
    target = await target_of("http://localhost:8000/webhooks/fal")
    assert target.to_self


async def test_listed_webhook_origins_are_accepted_exactly(settings):
    settings.LOCALFAL_WEBHOOK_ORIGINS = ["http://127.0.0.1:9000"]
    assert (await target_of("http://127.0.0.1:9000/hook?a=1")).to_self
    with pytest.raises(webhooks.WebhookRefused):
        await target_of("http://127.0.0.1:9001/hook")


async def test_a_name_we_serve_only_by_pattern_is_not_this_server(settings):
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().post(
        SUBMIT, query_params={"fal_webhook": "http://10.0.0.7/"}, headers={"Host": "10.0.0.7"}
    )
    with pytest.raises(webhooks.WebhookRefused):
        await webhooks.webhook_target(request, "http://10.0.0.7/localfal")


async def test_a_public_webhook_is_accepted_and_not_this_server(monkeypatch):
    monkeypatch.setattr(egress, "resolve_host", Resolver(hooks_example=[PUBLIC]))
    target = await target_of("https://hooks.example/fal")
    assert target == webhooks.WebhookTarget("https://hooks.example/fal", to_self=False)


async def test_no_webhook_is_no_target():
    request = RequestFactory().post(SUBMIT)
    assert await webhooks.webhook_target(request, "http://testserver/localfal") == (
        webhooks.WebhookTarget(None)
    )


# -- delivery -------------------------------------------------------------------------------
@pytest.fixture
def network(monkeypatch, settings) -> Recorder:
    """Checked hops go to a recorder, answering 503 then 200; retries come at once."""
    settings.LOCALFAL_SPEED = 0.0
    recorder = Recorder(httpx.Response(503))
    monkeypatch.setattr(egress, "pinned_async_transport", recorder.transport)
    return recorder


async def test_every_attempt_checks_the_address_again_and_connects_to_it(network, monkeypatch):
    """The name moves between attempts: to loopback (refused), then to another address."""
    resolver = Resolver(hooks_example=[[PUBLIC], ["127.0.0.1"], [PUBLIC_TOO]])
    monkeypatch.setattr(egress, "resolve_host", resolver)
    await webhooks.deliver(emu_request("https://hooks.example/fal", output={}))
    assert network.addresses == [PUBLIC, PUBLIC_TOO]
    assert [sent.headers["Host"] for sent in network.sent] == ["hooks.example"] * 2
    assert resolver.asked == ["hooks.example"] * 3


async def test_a_webhook_turned_private_is_never_called(network, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="playground.localfal.webhooks")
    monkeypatch.setattr(egress, "resolve_host", Resolver(hooks_example=["10.0.0.7"]))
    await webhooks.deliver(emu_request("https://hooks.example/fal", output={}))
    assert network.sent == []
    refusals = [r.message for r in caplog.records if "is not a public address" in r.message]
    assert len(refusals) == 10


async def test_a_redirect_from_the_receiver_is_not_followed(network, monkeypatch):
    network.responses = [redirect("http://127.0.0.1:6379/")] * 10
    monkeypatch.setattr(egress, "resolve_host", Resolver(hooks_example=[PUBLIC]))
    await webhooks.deliver(emu_request("https://hooks.example/fal", output={}))
    assert network.addresses == [PUBLIC] * 10
