"""The runner against the live emulator: statuses, events, media, faults, resume, leases."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from PIL import Image

from playground.jobs.models import EventKind, Generation, Status
from playground.jobs.runner import Runner
from tests.jobs.conftest import FaultHeaders, run_until_finished, submit

pytestmark = pytest.mark.django_db(transaction=True)


def kinds_and_statuses(generation: Generation) -> list[str]:
    out = []
    for event in generation.events.order_by("seq"):
        out.append(
            event.payload.get("status", event.kind) if event.kind == "status" else event.kind
        )
    return out


async def test_a_generation_runs_to_completion_with_events_and_stored_media(emulator, alice):
    generation = await sync_to_async(submit)(alice)
    transport = FaultHeaders("")
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])
    assert done.status == Status.COMPLETED, done.error
    assert done.fal_request_id
    assert done.output["images"][0]["width"] == 64
    steps = await sync_to_async(kinds_and_statuses)(done)
    assert steps[0] == "pending" and steps[-1] == "completed"
    assert "queued" in steps and "running" in steps and "log" in steps
    seqs = await sync_to_async(lambda: list(done.events.values_list("seq", flat=True)))()
    assert seqs == list(range(1, len(seqs) + 1))
    asset = await sync_to_async(lambda: done.assets.get())()
    assert asset.kind == "image" and (asset.width, asset.height) == (64, 48)
    with asset.file.open("rb") as handle:
        assert Image.open(handle).size == (64, 48)
    assert asset.thumbnail and asset.sha256
    assert transport.count("POST", "/queue/") == 1
    assert done.media_kind == "image"  # the gallery's Media filter finds it


async def test_a_speech_run_is_filed_as_audio(emulator, alice):
    generation = await sync_to_async(submit)(
        alice, "fal-ai/minimax/speech-02-hd", data={"text": "Hello there."}
    )
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])
    assert done.status == Status.COMPLETED, done.error
    assert done.media_kind == "audio"


async def test_progress_comes_from_step_logs(emulator, alice):
    generation = await sync_to_async(submit)(
        alice, data={**dict(prompt="x"), "num_inference_steps": 4}
    )
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])
    logs = await sync_to_async(lambda: list(done.events.filter(kind=EventKind.LOG)))()
    assert any(event.payload.get("progress") == 1.0 for event in logs)


async def test_upstream_faults_are_retried_honestly_and_still_complete(emulator, alice):
    generation = await sync_to_async(submit)(alice)
    transport = FaultHeaders("submit:503*2,stream:drop,result:500*1")
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])
    assert done.status == Status.COMPLETED, done.error
    retries = await sync_to_async(lambda: list(done.events.filter(kind=EventKind.RETRY)))()
    assert len(retries) == 3  # two submits, then the result, tried again later
    assert transport.count("GET", "/status/stream") >= 1
    polls = transport.count("GET", "/status") - transport.count("GET", "/status/stream")
    assert polls >= 1  # fell back to polling after the stream dropped
    assert transport.count("POST", "/queue/") == 3  # 2 refused + the one fal took


async def test_a_model_failure_fails_the_generation_with_fal_details(emulator, alice):
    generation = await sync_to_async(submit)(alice)
    [done] = await run_until_finished(Runner(transport=FaultHeaders("app:fail")), [generation.code])
    assert done.status == Status.FAILED
    assert done.error["status_code"] == 500
    assert done.error["type"] == "runner_server_error"


async def test_invalid_input_fails_with_field_errors_by_path(emulator, alice):
    generation = await sync_to_async(submit)(alice, data={"prompt": 5, "num_images": 99})
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])
    assert done.status == Status.FAILED
    assert set(done.error["field_errors"]) == {"prompt", "num_images"}


async def test_cancel_stops_a_running_generation(emulator, alice):
    from playground.jobs import actions

    generation = await sync_to_async(submit)(alice)
    runner = Runner(transport=FaultHeaders("app:slow=5"))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    while (await sync_to_async(Generation.objects.get)(pk=generation.pk)).status != Status.RUNNING:
        await asyncio.sleep(0.05)
    await sync_to_async(actions.request_cancel)(generation=generation)
    [done] = await run_until_finished_after(task, stop, generation)
    assert done.status == Status.CANCELLED


async def run_until_finished_after(task, stop, generation):
    for _ in range(200):
        row = await sync_to_async(Generation.objects.get)(pk=generation.pk)
        if not row.is_active:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    return [row]


async def test_a_stored_cancel_flag_is_honoured_without_a_wake_up_message(
    emulator, alice, monkeypatch
):
    """The flag alone (its wake-up message lost) still stops a streaming generation: the
    runner reads the flags of everything it tracks in one query now and then."""
    from playground.jobs import runner as runner_module

    monkeypatch.setattr(runner_module, "CANCEL_CHECK_SECONDS", 0.1)
    generation = await sync_to_async(submit)(alice)
    transport = FaultHeaders("app:slow=5")
    runner = Runner(transport=transport)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    while (await sync_to_async(Generation.objects.get)(pk=generation.pk)).status != Status.RUNNING:
        await asyncio.sleep(0.05)
    await sync_to_async(Generation.objects.filter(pk=generation.pk).update)(cancel_requested=True)
    [done] = await run_until_finished_after(task, stop, generation)
    assert done.status == Status.CANCELLED
    assert transport.count("PUT", "/cancel") == 1


async def test_a_cancel_before_submission_never_reaches_fal(emulator, alice):
    from playground.jobs import actions

    generation = await sync_to_async(submit)(alice)
    await sync_to_async(actions.request_cancel)(generation=generation)
    transport = FaultHeaders("")
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])
    assert done.status == Status.CANCELLED
    assert transport.count("POST", "/queue/") == 0


async def test_a_dead_runners_generation_is_resumed_without_resubmitting(emulator, alice):
    generation = await sync_to_async(submit)(alice)
    first = FaultHeaders("app:slow=0.5")
    dead = Runner(transport=first, name="dead-runner")
    stop = asyncio.Event()
    task = asyncio.create_task(dead.run(stop))
    while not (await sync_to_async(Generation.objects.get)(pk=generation.pk)).fal_request_id:
        await asyncio.sleep(0.02)
    task.cancel()  # the process "dies": its lease is left behind, unexpired
    await asyncio.gather(task, return_exceptions=True)
    await sync_to_async(Generation.objects.filter(pk=generation.pk).update)(
        lease_owner="dead-runner", lease_until=None
    )  # ...and then expires
    second = FaultHeaders("")
    [done] = await run_until_finished(Runner(transport=second), [generation.code])
    assert done.status == Status.COMPLETED
    assert first.count("POST", "/queue/") == 1
    assert second.count("POST", "/queue/") == 0  # followed the stored request id


async def test_two_runners_never_claim_the_same_generation(emulator, alice):
    codes = [(await sync_to_async(submit)(alice)).code for _ in range(6)]
    a, b = (
        Runner(transport=FaultHeaders(""), name="a"),
        Runner(transport=FaultHeaders(""), name="b"),
    )
    claimed_a = await a.db.run(a._claim, 10)
    claimed_b = await b.db.run(b._claim, 10)
    assert {g.code for g in claimed_a} == set(codes)
    assert claimed_b == []
    a.db.close()
    b.db.close()


async def test_sync_run_and_stream_modes_complete(emulator, alice):
    run = await sync_to_async(submit)(alice, mode="run")
    stream = await sync_to_async(submit)(alice, mode="stream")
    done = await run_until_finished(Runner(transport=FaultHeaders("")), [run.code, stream.code])
    assert [g.status for g in done] == [Status.COMPLETED, Status.COMPLETED]
    partials = await sync_to_async(lambda: list(done[1].events.filter(kind=EventKind.PARTIAL)))()
    # Only the newest partial is kept: the output itself, not a status event.
    assert [p.payload["data"] for p in partials] == [done[1].output]
