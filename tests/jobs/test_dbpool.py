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


async def test_a_cancelled_flush_leaves_no_writer_waiting_forever(alice):
    writer = GroupWriter()

    def slow() -> None:
        import time

        time.sleep(0.2)

    try:
        first = asyncio.ensure_future(writer.run(slow))
        await asyncio.sleep(0)
        queued = asyncio.ensure_future(writer.run(lambda: "later"))
        await asyncio.sleep(0.05)
        for task in asyncio.all_tasks():
            if task.get_coro().__qualname__ == "GroupWriter._flush":
                task.cancel()
        # Both writers hear of it instead of waiting for a group that will never commit.
        done, pending = await asyncio.wait([first, queued], timeout=5)
        assert not pending
        assert all(task.cancelled() for task in done)
    finally:
        await asyncio.to_thread(writer.close)
