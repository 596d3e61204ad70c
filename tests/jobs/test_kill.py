"""A runner killed with SIGKILL loses nothing: another run of it finishes every generation,
none submitted twice, events in order (the issue's kill test)."""

from __future__ import annotations

import os
import signal
import sys
import time

import httpx
import pytest

from playground.jobs.models import FINISHED, Generation, Status
from playground.lib import liveserver
from tests.conftest import database_url_for_tests
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = 50
ORDER = {"pending": 0, "queued": 1, "running": 2, "completed": 3}


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def emulator_alone(tmp_path):
    """`manage.py localfal` in its own process: it outlives the runner we kill."""
    port = liveserver.free_port()
    env = liveserver.process_env(
        tmp_path,
        database_url=database_url_for_tests(),
        LOCALFAL_SPEED="1",
        LOCALFAL_RUNNERS="10",
        LOCALFAL_INSPECT="1",
    )
    args = [sys.executable, "manage.py", "localfal", "--port", str(port)]
    process = liveserver.spawn(args, env, tmp_path / "localfal.log")
    base = f"http://127.0.0.1:{port}/localfal"
    wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), 30, "the emulator")
    yield base
    process.kill()
    process.wait()


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_runner(tmp_path, emulator: str):
    env = liveserver.process_env(
        tmp_path,
        database_url=database_url_for_tests(),
        LOCALFAL_URL=emulator,
        FAL_MODE="local",
        RUNNER_LEASE_SECONDS="2",
        RUNNER_POLL_SECONDS="0.2",
        RUNNER_STATUS_POLL_SECONDS="0.1",
    )
    args = [sys.executable, "manage.py", "runjobs"]
    return liveserver.spawn(args, env, tmp_path / "runjobs.log")


def test_kill_9_the_runner_and_every_generation_still_finishes_once(
    tmp_path, emulator_alone, alice
):
    generations = [submit(alice, data={"prompt": f"fox {i}"}) for i in range(COUNT)]
    first = start_runner(tmp_path, emulator_alone)
    submitted = Generation.objects.exclude(fal_request_id="")
    wait_for(lambda: submitted.count() == COUNT, 60, "all generations to be submitted")
    assert Generation.objects.filter(status__in=FINISHED).count() < COUNT  # still in flight
    os.kill(first.pid, signal.SIGKILL)
    first.wait()

    second = start_runner(tmp_path, emulator_alone)
    try:
        done = Generation.objects.filter(status__in=FINISHED)
        wait_for(lambda: done.count() == COUNT, 120, "all generations to finish")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

    rows = list(Generation.objects.filter(pk__in=[g.pk for g in generations]))
    assert {g.status for g in rows} == {Status.COMPLETED}, (tmp_path / "runjobs.log").read_text()[
        -3000:
    ]
    emulated = httpx.get(f"{emulator_alone}/_emulator/requests").json()["requests"]
    emulated_ids = {r["request_id"] for r in emulated}
    stored_ids = {g.fal_request_id for g in rows}
    assert len(emulated) == COUNT, (len(emulated), len(emulated_ids & stored_ids))  # none twice
    assert emulated_ids == stored_ids, (
        len(stored_ids),
        len(emulated_ids & stored_ids),
        emulated[:3],
    )
    for generation in rows:
        events = list(generation.events.order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        statuses = [ORDER[e.payload["status"]] for e in events if e.kind == "status"]
        assert statuses == sorted(statuses), statuses
        assert generation.assets.count() == 1
