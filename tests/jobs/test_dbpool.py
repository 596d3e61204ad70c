"""The runner's group writer: writes queued while one commits go in the next group."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from playground.jobs.dbpool import GroupWriter
from playground.jobs.models import Generation
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


async def test_each_write_gets_its_own_result_and_one_failure_fails_alone(alice):
    generation = await sync_to_async(submit)(alice)
    writer = GroupWriter()

    def rename(text: str) -> str:
        Generation.objects.filter(pk=generation.pk).update(endpoint_id=text)
        return text

    def broken() -> None:
        Generation.objects.filter(pk=generation.pk).update(notes="never")
        raise ValueError("this write fails")

    try:
        results = await asyncio.gather(
            writer.run(rename, "a"),
            writer.run(broken),
            writer.run(rename, "b"),
            return_exceptions=True,
        )
    finally:
        await asyncio.to_thread(writer.close)
    assert results[0] == "a" and results[2] == "b"
    assert isinstance(results[1], ValueError)
    # The failed write was rolled back on its own; the ones around it were kept, in order.
    refreshed = await sync_to_async(Generation.objects.get)(pk=generation.pk)
    assert refreshed.endpoint_id == "b" and refreshed.notes == ""


async def test_writes_made_while_a_group_commits_are_not_lost(alice):
    generation = await sync_to_async(submit)(alice)
    writer = GroupWriter()

    def bump(n: int) -> int:
        Generation.objects.filter(pk=generation.pk).update(attempts=n)
        return n

    try:
        results = await asyncio.gather(*(writer.run(bump, n) for n in range(1, 51)))
    finally:
        await asyncio.to_thread(writer.close)
    assert results == list(range(1, 51))
    refreshed = await sync_to_async(Generation.objects.get)(pk=generation.pk)
    assert refreshed.attempts == 50


async def test_a_write_whose_caller_stops_waiting_is_still_made(alice):
    generation = await sync_to_async(submit)(alice)
    writer = GroupWriter()
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow() -> None:
        import time

        loop.call_soon_threadsafe(started.set)
        time.sleep(0.2)

    def mark() -> None:
        Generation.objects.filter(pk=generation.pk).update(notes="written")

    try:
        first = asyncio.ensure_future(writer.run(slow))
        await started.wait()
        given_up = asyncio.ensure_future(writer.run(mark))
        await asyncio.sleep(0)
        given_up.cancel()
        await asyncio.wait_for(first, 5)
        # The writer goes on: a later write is answered, and the abandoned one was made.
        assert await asyncio.wait_for(writer.run(lambda: "next"), 5) == "next"
    finally:
        await asyncio.to_thread(writer.close)
    assert given_up.cancelled()
    refreshed = await sync_to_async(Generation.objects.get)(pk=generation.pk)
    assert refreshed.notes == "written"


async def test_a_closed_writer_refuses_new_writes_at_once():
    writer = GroupWriter()
    await asyncio.to_thread(writer.close)
    assert not writer.thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        await asyncio.wait_for(writer.run(lambda: "never"), 5)


def test_a_write_that_breaks_the_groups_commit_fails_alone(alice):
    """Foreign keys are checked at commit (Postgres, and SQLite as Django sets it up): an
    event for a run deleted meanwhile must fail alone, not undo the group's other writes."""
    from django.db import IntegrityError

    from playground.jobs.dbpool import commit_writes
    from playground.jobs.models import GenerationEvent

    kept = submit(alice)
    gone = submit(alice)
    gone_pk = gone.pk
    gone.delete()

    def event_of_the_deleted_run() -> None:
        GenerationEvent.objects.create(generation_id=gone_pk, seq=99, kind="log", payload={})

    def rename() -> str:
        Generation.objects.filter(pk=kept.pk).update(endpoint_id="renamed")
        return "renamed"

    outcomes = commit_writes([event_of_the_deleted_run, rename])

    assert isinstance(outcomes[0], IntegrityError)
    assert outcomes[1] == "renamed"
    assert Generation.objects.get(pk=kept.pk).endpoint_id == "renamed"
    assert not GenerationEvent.objects.filter(generation_id=gone_pk).exists()
