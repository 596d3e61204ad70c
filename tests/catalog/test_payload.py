"""The payload endpoint: the form's own encoding (or JSON) -> the input fal would receive."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator

from playground.catalog import formgen
from playground.catalog.models import Endpoint

FLUX = "fal-ai/flux/dev"
SDXL = "fal-ai/fast-sdxl"  # has loras: [{path, scale, force}]
FAKE_KEY = "fake-key-id:fake-key-secret-0123456789"

pytestmark = pytest.mark.django_db


def url(endpoint_id: str) -> str:
    return reverse("catalog:payload", args=[endpoint_id])


def schema(endpoint_id: str) -> dict:
    return Endpoint.objects.get(endpoint_id=endpoint_id).input_schema


def defaults(endpoint_id: str) -> dict:
    form = formgen.build_form(schema(endpoint_id))
    return {f.name: f.default for f in form.fields if f.has_default and f.default is not None}


def post_json(client: Client, endpoint_id: str, body: object, **kwargs):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url(endpoint_id), data, content_type="application/json", **kwargs)


def test_the_flux_defaults_with_a_prompt_make_a_valid_input(client_alice):
    posted = formgen.encode(schema(FLUX), {**defaults(FLUX), "prompt": "a red fox"})
    assert posted["image_size:branch"] == ["1"]

    response = client_alice.post(url(FLUX), posted)

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert body["input"]["prompt"] == "a red fox"
    assert body["input"]["image_size"] == "landscape_4_3"
    assert list(Draft202012Validator(schema(FLUX)).iter_errors(body["input"])) == []


def test_the_answer_carries_code_for_that_input(client_alice):
    response = client_alice.post(url(FLUX), {"prompt": "a red fox"})

    code = response.json()["code"]
    assert "https://queue.fal.run/fal-ai/flux/dev" in code["curl"]
    assert '"prompt": "a red fox"' in code["curl"]
    assert 'fal_client.subscribe(\n    "fal-ai/flux/dev"' in code["python"]
    assert 'prompt: "a red fox"' in code["javascript"]


def test_a_custom_size_and_two_loras(client_alice):
    posted = {
        "prompt": "a red fox",
        "image_size:branch": "0",
        "image_size:0.width": "640",
        "image_size:0.height": "480",
        "image_size:1": "square_hd",  # the other branch's input, ignored
        "loras.0": "",
        "loras.0.path": "https://example.com/one.safetensors",
        "loras.0.scale": "0.5",
        "loras.3": "",  # a removed row left a gap
        "loras.3.path": "https://example.com/two.safetensors",
        "loras.3.scale": "1",
    }

    response = client_alice.post(url(SDXL), posted)

    assert response.status_code == 200, response.json()
    assert "errors" not in response.json()
    data = response.json()["input"]
    assert data["image_size"] == {"width": 640, "height": 480}
    assert [lora["path"] for lora in data["loras"]] == [
        "https://example.com/one.safetensors",
        "https://example.com/two.safetensors",
    ]
    assert data["loras"][0]["scale"] == 0.5
    assert list(Draft202012Validator(schema(SDXL)).iter_errors(data)) == []


def test_errors_are_keyed_by_the_field_path(client_alice):
    posted = {
        "num_inference_steps": "99",
        "image_size:branch": "0",
        "image_size:0.width": "wide",
        "image_size:0.height": "480",
    }

    response = client_alice.post(url(FLUX), posted)

    # A draft that needs attention is an answer, not a failed request (no console error).
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors["prompt"] == ["This field is required."]
    assert "at most 50" in errors["num_inference_steps"][0]
    assert "image_size:0.width" in errors


def test_the_csrf_token_field_is_not_part_of_the_input(client_alice):
    response = client_alice.post(url(FLUX), {"prompt": "a fox", "csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" not in response.json()["input"]


def test_a_json_input_comes_back_with_the_form_to_refill(client_alice):
    value = {"prompt": "a fox", "image_size": {"width": 640, "height": 480}, "num_images": 2}

    response = post_json(client_alice, FLUX, {"input": value})

    assert response.status_code == 200
    body = response.json()
    assert body["input"] == value
    assert body["encoded"]["image_size:branch"] == ["0"]
    assert body["encoded"]["image_size:0.width"] == ["640"]
    assert 'name="image_size:0.width"' in body["form"]
    assert 'value="640"' in body["form"]
    assert "<html" not in body["form"]
    assert '"width": 640' in body["code"]["curl"]


def test_json_lora_rows_come_back_as_form_rows(client_alice):
    loras = [{"path": "https://example.com/a.safetensors", "scale": 0.5}, {"path": "b"}]

    response = post_json(client_alice, SDXL, {"input": {"prompt": "a fox", "loras": loras}})

    form = response.json()["form"]
    assert re.search(r'name="loras.0.path" [^>]*value="https://example.com/a.safetensors"', form)
    assert re.search(r'name="loras.1.path" [^>]*value="b"', form)
    assert re.search(r'name="loras.0.scale" [^>]*value="0.5"', form)
    assert 'data-next-index="2"' in form


def test_a_json_input_round_trips_through_the_form(client_alice):
    value = {"prompt": "a fox", "image_size": {"width": 640, "height": 480}, "seed": 7}
    encoded = post_json(client_alice, FLUX, {"input": value}).json()["encoded"]

    response = client_alice.post(url(FLUX), {k: v for k, v in encoded.items()})

    assert response.status_code == 200
    assert response.json()["input"] == value


def test_an_invalid_json_input_gets_errors_by_path(client_alice):
    response = post_json(client_alice, SDXL, {"input": {"loras": [{"scale": 3}]}})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["prompt"] == ["This field is required."]
    assert "loras.0.path" in errors
    assert "loras.0.scale" in errors


@pytest.mark.parametrize(
    "body",
    ["{not json", " ", "[1, 2]", '{"input": "a fox"}', '{"prompt": "a fox"}', "\xff"],
    ids=["malformed", "blank", "list", "input-not-object", "no-input", "not-utf8"],
)
def test_unreadable_json_is_a_400_not_a_500(client_alice, body):
    response = post_json(client_alice, FLUX, body)

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_anonymous_posts_are_refused(client):
    response = client.post(url(FLUX), {"prompt": "a fox"})

    assert response.status_code == 403
    assert "Log in" in response.json()["errors"]["__all__"][0]


def test_an_unknown_model_is_a_json_404(client_alice):
    response = client_alice.post(url("fal-ai/no-such-model"), {"prompt": "a fox"})

    assert response.status_code == 404
    assert response.json()["errors"]["__all__"]


def test_only_post_is_allowed(client_alice):
    assert client_alice.get(url(FLUX)).status_code == 405


def test_posts_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post(url(FLUX), {"prompt": "a fox"}).status_code == 403


def test_the_server_key_never_appears_in_code(client_alice, settings):
    settings.FAL_KEY = FAKE_KEY
    settings.FAL_MODE = "fal"

    response = client_alice.post(url(FLUX), {"prompt": "a fox"})

    assert FAKE_KEY not in response.content.decode()
    assert "$FAL_KEY" in response.json()["code"]["curl"]


def test_a_payload_needs_few_queries(client_alice, django_assert_max_num_queries, settings):
    posted = formgen.encode(schema(SDXL), {"prompt": "a fox", "loras": [{"path": "a"}] * 3})
    settings.PRICE_CACHE_SECONDS = 30  # prices stay in memory, as in production
    client_alice.post(url(SDXL), posted)  # warm the price cache

    with django_assert_max_num_queries(3):
        assert client_alice.post(url(SDXL), posted).status_code == 200
    with django_assert_max_num_queries(3):
        assert post_json(client_alice, SDXL, {"input": {"prompt": "a fox"}}).status_code == 200
