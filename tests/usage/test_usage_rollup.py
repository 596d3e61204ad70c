"""The daily roll-up (UsageDay) says what the request log says, as rows are logged and as
their follow-ups change them; `rebuild_usage` recomputes it from the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from playground.gateway import requestlog
from playground.gateway.callers import Caller
from playground.gateway.models import RequestLog
from playground.gateway.tally import Pending, write
from playground.gateway.targets import parse
from playground.usage import rollup
from playground.usage.models import UsageDay
from tests.gateway.conftest import auth, target

pytestmark = pytest.mark.django_db


def rolled_up() -> list[dict]:
    """The roll-up as comparable rows (no ids)."""
    rows = UsageDay.objects.order_by(*rollup.KEY).values(*rollup.KEY, *rollup.MEASURES)
    return [{**row, "cost": Decimal(row["cost"]).quantize(Decimal("0.000001"))} for row in rows]


def assert_matches_the_log() -> None:
    """What the roll-up holds is what recomputing it from the log gives."""
    kept = rolled_up()
    call_command("rebuild_usage", verbosity=0)
    assert kept == rolled_up()


def test_logged_rows_add_up_per_day_and_key(alice, log):
    log(alice, latency_ms=120, cost=Decimal("0.025"))
    log(alice, latency_ms=2500, cost=Decimal("0.05"), status=502, error="fal is down")
    log(alice, days_ago=2, latency_ms=40)
    log(alice, entrance="gateway")

    today = UsageDay.objects.get(
        day=datetime.now(UTC).date(), entrance="proxy", endpoint_id="fal-ai/flux/schnell"
    )
    assert (today.requests, today.errors, today.cost) == (2, 1, Decimal("0.075"))
    assert (today.latency_count, today.latency_sum) == (2, 2620)
    assert (today.lat_02, today.lat_09) == (1, 1)  # 100-200 ms and 2-3 s
    assert (today.user_id, today.team_id, today.token_id) == (alice.pk, 0, 0)
    assert UsageDay.objects.count() == 3
    assert_matches_the_log()


def test_a_failure_without_a_status_counts_as_an_error_a_cancel_does_not(alice, log):
    log(alice, status=None, error="Runner lost", latency_ms=None, cost=None)
    log(alice, status=None, state="CANCELLED", latency_ms=None, cost=None)

    day = UsageDay.objects.get()
    assert (day.requests, day.errors, day.latency_count, day.cost) == (2, 1, 0, 0)
    assert_matches_the_log()


def test_follow_ups_add_what_they_change_cost_queue_time_and_errors(alice, log):
    first = log(alice, kind="submit", cost=None, queue_ms=None)
    second = log(alice, kind="submit", cost=None, queue_ms=None)
    batch = {
        first.pk: Pending(follow_ups=3, queue_ms=450,
                          fields={"state": "COMPLETED", "cost": Decimal("0.1")}),
        second.pk: Pending(follow_ups=1, fields={"state": "IN_QUEUE"}),
    }  # fmt: skip

    write(batch)
    write({first.pk: Pending(follow_ups=1, queue_ms=999)})  # the first queue time stays
    rollup.update_logged({second.pk: {"error": "socket ended", "state": "FAILED"}})

    day = UsageDay.objects.get()
    assert (day.requests, day.errors, day.cost) == (2, 1, Decimal("0.1"))
    assert (day.queue_count, day.queue_sum) == (1, 450)
    assert RequestLog.objects.get(pk=first.pk).follow_ups == 4
    assert_matches_the_log()


def test_polls_that_change_nothing_counted_leave_the_roll_up_alone(
    alice, log, django_assert_num_queries
):
    row = log(alice, kind="submit")

    # The update only: no row read before or after, no upsert (SAVEPOINTs aside).
    with django_assert_num_queries(3):
        write({row.pk: Pending(follow_ups=1, bytes_out=120, fields={"state": "IN_QUEUE"})})

    assert UsageDay.objects.get().requests == 1


@pytest.mark.django_db(transaction=True)
async def test_the_gateways_own_writers_keep_the_roll_up_in_step(alice, settings):
    settings.GATEWAY_LOG_FLUSH_SECONDS = 0
    caller = Caller(user_id=alice.pk)
    submit = parse("https://queue.fal.run/fal-ai/flux/dev")
    row_id = await requestlog.record_call(
        caller, submit, entrance="proxy", method="POST", status=200, latency_ms=90,
        bytes_in=10, request_id="req-1",
    )  # fmt: skip
    row = await RequestLog.objects.aget(pk=row_id)
    status = parse("https://queue.fal.run/fal-ai/flux/requests/req-1/status")
    result = parse("https://queue.fal.run/fal-ai/flux/requests/req-1")

    answer = json.dumps({"status": "IN_PROGRESS"}).encode()
    await requestlog.record_follow_up(row, status, status=200, answer=answer, billable=None)
    await requestlog.record_follow_up(row, result, status=200, answer=b"{}", billable=2)

    day = await UsageDay.objects.aget()
    logged = await RequestLog.objects.aget(pk=row_id)
    assert logged.cost == Decimal("0.05")  # 2 megapixels at $0.025
    assert (day.requests, day.cost, day.queue_count) == (1, Decimal("0.05"), 1)
    assert day.queue_sum == logged.queue_ms


def test_a_playground_run_is_counted_when_it_is_logged(alice, team):
    from playground.catalog.models import Endpoint
    from playground.jobs import actions
    from playground.jobs.models import Generation

    endpoint = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    generation = actions.submit_generation(
        user=alice, endpoint=endpoint, input={"prompt": "a fox"}, team=team
    )
    Generation.objects.filter(pk=generation.pk).update(
        status="failed", error={"message": "Runner lost"}
    )
    requestlog.record_playground_run(Generation.objects.get(pk=generation.pk))

    day = UsageDay.objects.get()
    assert (day.entrance, day.team_id, day.user_id) == ("playground", team.pk, alice.pk)
    assert (day.requests, day.errors) == (1, 1)
    assert_matches_the_log()


def test_rebuild_usage_recomputes_from_the_log_or_from_a_day(alice, log):
    log(alice, days_ago=5)
    log(alice)
    UsageDay.objects.update(requests=99)  # drifted (edited by hand, say)

    call_command("rebuild_usage", "--since", (datetime.now(UTC) - timedelta(days=1)).date())
    assert sorted(UsageDay.objects.values_list("requests", flat=True)) == [1, 99]

    call_command("rebuild_usage")
    assert sorted(UsageDay.objects.values_list("requests", flat=True)) == [1, 1]


def test_requests_through_the_proxy_roll_up_as_logged(client, emulator, alice):
    from playground.gateway import tokens

    secret = tokens.mint(alice, label="app").secret
    body = json.dumps({"prompt": "a fox", "image_size": {"width": 64, "height": 64}})
    proxy = "/api/fal/proxy"
    handle = client.post(
        proxy, body, content_type="application/json", **auth(secret),
        **target("https://queue.fal.run/fal-ai/flux/schnell"),
    ).json()  # fmt: skip
    client.get(proxy, **auth(secret), **target(handle["status_url"]))
    client.get(proxy, **auth(secret), **target(handle["response_url"]))
    client.post(
        proxy, json.dumps({"image_size": "nonsense"}), content_type="application/json",
        **auth(secret), **target("https://fal.run/fal-ai/flux/schnell"),
    )  # fmt: skip

    day = UsageDay.objects.get()
    assert (day.requests, day.errors) == (2, 1)
    assert day.token_id == alice.access_tokens.get().pk
    assert_matches_the_log()
