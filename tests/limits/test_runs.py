"""Playground runs count against the same per-minute limit as gateway calls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.accounts.models import Membership
from playground.jobs.models import Generation
from playground.limits import counter
from playground.limits.quotas import quota_for
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
RUN = reverse("jobs:run", args=["fal-ai/flux/schnell"])
HTMX = {"HX-Request": "true"}


def test_the_run_over_the_limit_gets_429_with_retry_after_and_a_message(rate_limits, client_alice):
    codes = [client_alice.post(RUN, {"prompt": f"fox {n}"}, headers=HTMX).status_code
             for n in range(2)]  # fmt: skip
    refused = client_alice.post(RUN, {"prompt": "one more"}, headers=HTMX)

    assert codes == [201, 201]
    assert refused.status_code == 429
    body = refused.json()
    assert 1 <= body["retry_after"] <= 60
    assert refused["Retry-After"] == str(body["retry_after"])
    assert body["detail"].startswith("Rate limit reached: 2 requests a minute.")
    assert body["errors"]["__all__"] == [body["detail"]]
    assert Generation.objects.count() == 2  # the refused run was never created


def test_invalid_input_is_not_counted(rate_limits, client_alice):
    for _ in range(3):
        assert client_alice.post(RUN, {"num_images": "many"}, headers=HTMX).status_code == 422

    assert client_alice.post(RUN, {"prompt": "a fox"}, headers=HTMX).status_code == 201


def test_gateway_calls_and_runs_share_the_persons_minute(rate_limits, client_alice, alice):
    counter.hit(quota_for(alice.pk))
    counter.hit(quota_for(alice.pk))  # e.g. two calls through the gateway

    assert client_alice.post(RUN, {"prompt": "a fox"}, headers=HTMX).status_code == 429


def test_a_run_for_a_team_counts_under_the_members_override(rate_limits, client, bob, team):
    Membership.objects.filter(user=bob, team=team).update(rate_limit=3)
    client.force_login(bob)
    posted = {"prompt": "a fox", "__team": team.pk}

    codes = [client.post(RUN, posted, headers=HTMX).status_code for _ in range(4)]

    assert codes == [201, 201, 201, 429]
    # His own runs have his tier's minute, untouched by the team's.
    assert client.post(RUN, {"prompt": "mine"}, headers=HTMX).status_code == 201


def test_a_rerun_over_the_limit_says_so_and_starts_nothing(rate_limits, client_alice, alice):
    generation = finished(alice, "again")
    rerun = reverse("gallery:rerun", args=[generation.code])
    for _ in range(2):
        client_alice.post(rerun)

    refused = client_alice.post(rerun, follow=True)

    assert Generation.objects.count() == 3
    assert "Rate limit reached" in refused.content.decode()


def test_the_model_page_has_the_place_for_the_wait_beside_run(client_alice):
    page = client_alice.get(reverse("catalog:model", args=["fal-ai/flux/schnell"]))

    assert 'data-run-wait role="status"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_realtime_page_session_counts_once_and_the_next_one_is_told_to_wait(
    rate_limits, alice
):
    from tests.realtime.test_consumer import Session, connect

    rate_limits.RATE_LIMIT_SIGNED_IN = 1
    rate_limits.FAL_MODE = "local"
    first, connected = await connect(alice)
    assert connected
    assert (await Session(first).next())["state"] == "ready"
    await first.disconnect()

    second, connected = await connect(alice)
    session = Session(second)
    status, error = await session.next(), await session.next()

    assert connected
    assert status["state"] == "error" and status["message"] == error["message"]
    assert error["code"] == "RATE_LIMITED"
    assert error["message"].startswith("Rate limit reached: 1 request a minute. Try again in")
    await second.disconnect()
