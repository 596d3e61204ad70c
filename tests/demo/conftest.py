from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.catalog.test_uploads import fake_storage  # noqa: F401  (visitors upload too)

DEMO = "fal-ai/flux/schnell"
OTHER = "fal-ai/fast-sdxl"


@pytest.fixture
def demo_mode(settings):
    """Demo mode on, with flux schnell the one model visitors may run."""
    settings.DEMO_MODE = True
    settings.DEMO_MODELS = [DEMO]
    return settings


def visitor(address: str = "203.0.113.7") -> Client:
    """A browser without an account, from `address`."""
    return Client(REMOTE_ADDR=address)


def start_run(client: Client, endpoint_id: str = DEMO, **headers: str):
    return client.post(
        reverse("jobs:run", args=[endpoint_id]),
        {"prompt": "a fox"},
        headers={"HX-Request": "true", **headers},
    )
