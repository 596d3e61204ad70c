"""An experiment run by the real runner against the emulator: its cells are submitted as
runs end, from the runner's own writer thread, with no browser open."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from playground.catalog.models import Endpoint
from playground.experiments.models import Experiment, ExperimentStatus
from playground.jobs.models import Status
from playground.jobs.runner import Runner
from tests.experiments.conftest import start
from tests.jobs.conftest import emulator  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def statuses(experiment: Experiment) -> tuple[str, list[str]]:
    experiment.refresh_from_db()
    return experiment.status, sorted(experiment.generations.values_list("status", flat=True))


async def test_the_runner_carries_an_experiment_to_its_end_within_the_cap(
    emulator,  # noqa: F811
    alice,
    settings,
    monkeypatch,
):
    settings.RUNS_IN_FLIGHT_PER_USER = 2
    # Only the runs' ends may advance it here, not the periodic nudge.
    monkeypatch.setattr("playground.jobs.runner.EXPERIMENT_NUDGE_SECONDS", 3600)
    flux = await sync_to_async(Endpoint.objects.get)(endpoint_id="fal-ai/flux/schnell")
    experiment = await sync_to_async(start)(alice, flux, spec={"kind": "seeds", "count": 5})
    assert (await sync_to_async(statuses)(experiment))[1] == ["pending", "pending"]

    stop = asyncio.Event()
    task = asyncio.create_task(Runner().run(stop))
    try:
        async with asyncio.timeout(30):
            while (found := await sync_to_async(statuses)(experiment))[0] != "finished":
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task

    assert found == (ExperimentStatus.FINISHED, [Status.COMPLETED] * 5)
