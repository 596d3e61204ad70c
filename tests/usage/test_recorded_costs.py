"""What a request cost is recorded when it is logged: playground runs (queue and sync
run) against the emulator, and gateway calls."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from playground.gateway.models import RequestLog
from playground.jobs.models import Generation, Status
from playground.jobs.runner import Runner
from tests.gateway.conftest import auth, target
from tests.jobs.conftest import FaultHeaders, run_until_finished, submit

pytestmark = pytest.mark.django_db(transaction=True)
BIG = {"prompt": "a fox", "image_size": {"width": 1536, "height": 1024}, "num_images": 2}


@pytest.fixture
def emulator(live_app, settings):
    settings.LOCALFAL_URL = live_app.localfal
    settings.FAL_MODE = "local"
    settings.RUNNER_STATUS_POLL_SECONDS = 0.05
    return live_app


def log_of(generation: Generation) -> RequestLog:
    return RequestLog.objects.get(entrance="playground", request_id=generation.fal_request_id)


@pytest.mark.parametrize("mode", ["queue", "run"])
async def test_a_run_records_fal_s_units_and_their_cost(emulator, alice, mode):
    generation = await sync_to_async(submit)(alice, data=BIG, mode=mode)

    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])

    assert done.status == Status.COMPLETED, done.error
    # flux/schnell: $0.003 per megapixel, two images of 2 megapixels each.
    assert (done.billable_units, done.cost) == (4.0, Decimal("0.012"))
    row = await sync_to_async(log_of)(done)
    assert (row.billable_units, row.cost) == (4.0, Decimal("0.012"))


def test_a_gateway_call_is_logged_with_its_cost(client, emulator, alice):
    from playground.gateway import tokens

    secret = tokens.mint(alice).secret
    response = client.post(
        "/gateway/fal/fal-ai/flux/schnell", json.dumps(BIG), content_type="application/json",
        **auth(secret),
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response["x-fal-billable-units"] == "4"
    row = RequestLog.objects.get(entrance="gateway")
    assert (row.billable_units, row.cost) == (4.0, Decimal("0.012"))


def test_a_queued_gateway_request_is_costed_when_its_result_is_fetched(client, emulator, alice):
    from playground.gateway import tokens

    headers = auth(tokens.mint(alice).secret)
    handle = client.post(
        "/gateway/fal/fal-ai/flux/schnell", json.dumps(BIG), content_type="application/json",
        **headers, **target("https://queue.fal.run/fal-ai/flux/schnell"),
    ).json()  # fmt: skip
    row = RequestLog.objects.get(entrance="gateway")
    assert row.cost is None  # a submit bills nothing yet

    local = handle["status_url"].removeprefix("http://testserver")
    for _ in range(600):  # at most 30 s
        if client.get(local, **headers).json()["status"] == "COMPLETED":
            break
        time.sleep(0.05)
    result = client.get(handle["response_url"].removeprefix("http://testserver"), **headers)

    assert result.status_code == 200
    row.refresh_from_db()
    assert (row.billable_units, row.cost, row.state) == (4.0, Decimal("0.012"), "COMPLETED")


def test_the_log_shows_the_cost_on_a_row_s_page_and_in_the_api(client, alice):
    from playground.gateway import tokens

    row = RequestLog.objects.create(
        user=alice, entrance="proxy", kind="run", method="POST", status=200,
        endpoint_id="fal-ai/flux/dev", billable_units=2.0, cost=Decimal("0.05"),
    )  # fmt: skip
    secret = tokens.mint(alice).secret

    client.force_login(alice)
    page = client.get(reverse("gateway:log-detail", args=[row.pk]))
    listed = client.get("/api/gateway/requests", **auth(secret)).json()["requests"]

    assert "<dt>Cost</dt><dd>$0.05</dd>" in page.text
    assert listed[0]["cost"] == "0.05"
