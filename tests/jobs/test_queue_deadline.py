"""A request fal never starts is not followed forever (S20): past
RUNNER_QUEUE_DEADLINE_SECONDS in fal's queue it is cancelled there and the generation
fails with a plain message, also when a restarted runner resumes it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from playground.jobs.models import Generation, Status
from playground.jobs.runner import Runner
from tests.conftest import _live_server
from tests.jobs.conftest import SMALL, FaultHeaders, run_until_finished, submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def one_runner_emulator(django_db_setup, django_db_blocker, tmp_path_factory):
    """An emulator with a single runner, so one slow request keeps the next one queued."""
    with _live_server(
        django_db_blocker,
        tmp_path_factory.mktemp("deadline"),
        LOCALFAL_SPEED="0.01",
        LOCALFAL_RUNNERS="1",
        RUNNER_EMBEDDED="0",
        name="one-runner",
    ) as server:
        yield server


@pytest.fixture
def busy_emulator(one_runner_emulator, settings):
    """The runner's fal is that emulator, its only runner busy for the whole test."""
    settings.LOCALFAL_URL = one_runner_emulator.localfal
    settings.FAL_MODE = "local"
    settings.RUNNER_STATUS_POLL_SECONDS = 0.05
    auth = {"Authorization": f"Key {settings.LOCALFAL_KEY}"}
    blocker = httpx.post(
        f"{one_runner_emulator.localfal}/queue/fal-ai/flux/schnell",
        json=SMALL,
        headers={**auth, "X-Localfal-Fault": f"app:slow=60,key={uuid.uuid4()}"},
    ).json()
    yield one_runner_emulator
    httpx.put(blocker["cancel_url"], headers=auth)


async def wait_until(generation, condition) -> Generation:
    while True:
        row = await sync_to_async(Generation.objects.get)(pk=generation.pk)
        if condition(row):
            return row
        await asyncio.sleep(0.02)


async def test_a_request_fal_never_starts_is_cancelled_at_the_deadline(
    busy_emulator, alice, settings
):
    settings.RUNNER_QUEUE_DEADLINE_SECONDS = 0.5
    generation = await sync_to_async(submit)(alice)
    transport = FaultHeaders("")

    [done] = await run_until_finished(Runner(transport=transport), [generation.code])

    assert done.status == Status.FAILED
    assert done.error == {
        "message": "fal did not start this request within 0.5 seconds; it was cancelled.",
        "type": "queue_deadline",
    }
    assert transport.count("PUT", "/cancel") == 1
    async with httpx.AsyncClient() as client:  # status URLs name the app, not the path
        answer = await client.get(
            f"{busy_emulator.localfal}/queue/fal-ai/flux/requests/{done.fal_request_id}/status",
            headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
        )
    status = answer.json()
    assert status["status"] == "COMPLETED"  # over at fal too: cancelled while queued


async def test_the_deadline_counts_from_the_stored_submit_across_a_restart(
    busy_emulator, alice, settings
):
    settings.RUNNER_QUEUE_DEADLINE_SECONDS = 3600
    generation = await sync_to_async(submit)(alice)
    first = Runner(transport=FaultHeaders(""), name="before-restart")
    stop = asyncio.Event()
    task = asyncio.create_task(first.run(stop))
    await wait_until(generation, lambda row: row.status == Status.QUEUED and row.fal_request_id)
    task.cancel()  # the process goes away with the request still queued at fal...
    await asyncio.gather(task, return_exceptions=True)
    await sync_to_async(Generation.objects.filter(pk=generation.pk).update)(
        submitted=timezone.now() - timedelta(hours=2), lease_owner="", lease_until=None
    )  # ...and comes back two hours later
    second = FaultHeaders("")

    [done] = await run_until_finished(Runner(transport=second), [generation.code])

    assert done.status == Status.FAILED
    assert done.error["message"] == (
        "fal did not start this request within 60 minutes; it was cancelled."
    )
    assert second.count("POST", "/queue/") == 0  # the stored request, not a new one
    assert second.count("PUT", "/cancel") == 1


async def test_a_request_that_started_in_time_may_run_longer(emulator, alice, settings):
    settings.RUNNER_QUEUE_DEADLINE_SECONDS = 0.5
    generation = await sync_to_async(submit)(alice)
    transport = FaultHeaders("app:slow=1.5")

    [done] = await run_until_finished(Runner(transport=transport), [generation.code])

    assert done.status == Status.COMPLETED
    assert transport.count("PUT", "/cancel") == 0
