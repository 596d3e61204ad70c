"""Every run stores the seed that made it, so Reuse, the result and PNG downloads can
reproduce the image."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from playground.gallery.exports import INPUT_KEY, PNG_KEY
from playground.jobs.models import Generation
from playground.jobs.seeds import input_with_used_seed, seed_bounds, seed_of, with_seed
from tests.gallery.conftest import finished
from tests.jobs.conftest import submit
from tests.support import body

pytestmark = pytest.mark.django_db
FLUX = "fal-ai/flux/schnell"


def test_a_run_without_a_seed_gets_one_chosen_by_the_server(client, alice):
    client.force_login(alice)
    response = client.post(reverse("jobs:run", args=[FLUX]), {"prompt": "a fox"})
    assert response.status_code == 302
    seed = Generation.objects.get().input["seed"]
    assert isinstance(seed, int) and 0 <= seed <= 2**31 - 1


def test_two_random_runs_get_different_seeds(alice):
    seeds = {submit(alice, data={"prompt": "x"}).input["seed"] for _ in range(5)}
    assert len(seeds) > 1


def test_a_given_seed_is_kept(alice):
    assert submit(alice, data={"prompt": "x", "seed": 42}).input["seed"] == 42


def test_a_null_seed_is_replaced_by_a_chosen_one():
    chosen = with_seed(
        {"properties": {"seed": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}, {"seed": None}
    )
    assert isinstance(chosen["seed"], int)


def test_a_model_without_a_seed_gets_none(alice):
    schema = {"properties": {"prompt": {"type": "string"}}}
    assert with_seed(schema, {"prompt": "x"}) == {"prompt": "x"}
    assert seed_bounds({"properties": {"seed": {"type": "string"}}}) is None


def test_the_schema_bounds_are_respected():
    schema = {"properties": {"seed": {"type": "integer", "minimum": 5, "maximum": 6}}}
    assert {with_seed(schema, {})["seed"] for _ in range(20)} <= {5, 6}
    big = {"properties": {"seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}}}
    assert seed_bounds(big) == (0, 2**31 - 1)


def test_the_seed_the_result_reports_wins(alice):
    generation = finished(alice, "x", output={"images": [], "seed": 99})
    assert generation.input["seed"] == 7
    assert seed_of(generation) == 99
    assert input_with_used_seed(generation)["seed"] == 99


def test_the_result_shows_the_seed_and_a_use_this_seed_button(client_alice, alice):
    generation = finished(alice, "x", output={"images": [], "seed": 1234})
    text = client_alice.get(generation.get_absolute_url()).text
    assert 'data-use-seed="1234"' in text


def test_reuse_fills_the_form_with_the_seed_that_made_the_image(client_alice, alice):
    generation = finished(alice, "x", output={"images": [], "seed": 4321})
    page = client_alice.get(reverse("catalog:model", args=[FLUX]) + f"?from={generation.code}")
    assert page.status_code == 200
    assert 'value="4321"' in page.text
    assert "&quot;seed&quot;: 4321" in page.text  # the JSON view too


def test_the_png_parameters_carry_the_seed_the_result_reports(client_alice, alice):
    from PIL import Image

    generation = finished(alice, "a lighthouse", output={"images": [], "seed": 555})
    asset = generation.assets.get()
    response = client_alice.get(asset.file.url + "?download=1")
    image = Image.open(io.BytesIO(body(response)))
    assert "Seed: 555" in image.text[PNG_KEY]  # A1111's text
    assert json.loads(image.text[INPUT_KEY])["seed"] == 555  # the input, to run it again
