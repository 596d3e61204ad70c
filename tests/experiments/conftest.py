from __future__ import annotations

import pytest

from playground.catalog.models import Endpoint
from playground.experiments import actions
from playground.jobs import actions as jobs
from playground.jobs.models import Status

BASE = {"prompt": "a fox", "image_size": {"width": 64, "height": 48}}
SWEEP = {
    "kind": "sweep",
    "axes": [
        {"field": "guidance_scale", "values": [2.5, 3.5, 5]},
        {"field": "num_inference_steps", "values": [4, 8]},
    ],
}


@pytest.fixture
def flux_dev() -> Endpoint:
    return Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")


def start(user, endpoint, spec=None, **kwargs):
    return actions.start_experiment(
        user=user, endpoint=endpoint, base_input=BASE, spec=spec or SWEEP, **kwargs
    )


def finish(generation, status: str = Status.COMPLETED) -> None:
    """End a run as the runner would (after its commit, the experiment advances)."""
    jobs.finish_generation(generation=generation, status=status, output={"images": []})
