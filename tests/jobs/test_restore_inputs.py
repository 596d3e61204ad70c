"""After a reload, the model page shows the latest run: its form either shows that run's
inputs or offers to restore them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.jobs.models import Generation

pytestmark = pytest.mark.django_db
FLUX = "fal-ai/flux/schnell"
PAGE = reverse("catalog:model", args=[FLUX])


def run_from_the_form(client, prompt: str) -> Generation:
    response = client.post(reverse("jobs:run", args=[FLUX]), {"prompt": prompt})
    assert response.status_code == 302
    return Generation.objects.get(input__prompt=prompt)


def test_a_reload_offers_the_inputs_of_the_run_shown(client_alice):
    generation = run_from_the_form(client_alice, "a fox in snow")
    page = client_alice.get(PAGE).text
    assert f'id="gen-{generation.code}"' in page  # the run is shown
    assert "Restore inputs" in page
    assert f'href="{PAGE}?from={generation.code}"' in page


def test_restored_inputs_match_the_run_and_the_offer_is_gone(client_alice):
    generation = run_from_the_form(client_alice, "a fox in snow")
    page = client_alice.get(f"{PAGE}?from={generation.code}").text
    assert "a fox in snow</textarea>" in page
    assert f'value="{generation.input["seed"]}"' in page  # the seed that made it
    assert "Restore inputs" not in page


def test_no_offer_without_a_run(client_alice):
    assert "Restore inputs" not in client_alice.get(PAGE).text
