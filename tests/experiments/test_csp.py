"""Every experiment page under the strict policy: no inline code, no style attributes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.core.test_csp import assert_strict, with_audio
from tests.experiments.conftest import finish, start
from tests.jobs.conftest import stored_image

pytestmark = pytest.mark.django_db
NEW = reverse("experiments:new", args=["fal-ai/flux/dev"])


def test_the_experiment_pages_need_no_inline_code(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 3})
    picture, sound, _ = experiment.generations.order_by("id")
    stored_image(picture)
    finish(picture)
    with_audio(sound)
    finish(sound)
    sweep = {
        "prompt": "a fox",
        "__kind": "sweep",
        "__x_field": "guidance_scale",
        "__x_values": "[2, 3]",
        "__step": "plan",
    }
    pages = [
        client_alice.get(NEW),
        client_alice.post(NEW, sweep),  # the confirmation
        client_alice.get(experiment.get_absolute_url()),
        client_alice.get(reverse("experiments:index")),
    ]
    for response in pages:
        assert_strict(response)

    client_alice.post(
        reverse("experiments:visibility", args=[experiment.code]), {"visibility": "link"}
    )
    experiment.refresh_from_db()
    assert_strict(Client().get(reverse("experiments:shared", args=[experiment.share_token])))
