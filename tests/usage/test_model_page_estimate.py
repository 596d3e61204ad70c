"""The model page prices the current input before Run, and follows the form (the payload
answer carries the estimate the page shows)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from playground.catalog import formgen
from playground.catalog.models import Endpoint
from playground.usage.models import Price

pytestmark = pytest.mark.django_db
FLUX = "fal-ai/flux/dev"


def cost_line(html: str) -> str:
    found = re.search(r'<p class="run-cost" data-cost-estimate[^>]*>(.*?)</p>', html, re.S)
    assert found, "no cost line on the page"
    return found.group(0)


def test_the_page_shows_the_cost_of_the_default_input_with_its_unit(client_alice):
    html = client_alice.get(reverse("catalog:model", args=[FLUX])).text
    line = cost_line(html)
    assert "hidden" not in line.split(">")[0]
    assert "≈ $0.025" in line  # landscape_4_3, one image: one megapixel
    assert 'title="1 megapixel at $0.025 per megapixel"' in line


def test_the_estimate_follows_the_form(client_alice):
    schema = Endpoint.objects.get(endpoint_id=FLUX).input_schema
    value = {"prompt": "a fox", "image_size": "square_hd", "num_images": 3}
    posted = formgen.encode(schema, value)
    # 1024 x 1024 is one megapixel: three images, three megapixels.
    posted["image_size:0.width"], posted["image_size:0.height"] = ["2048"], ["1024"]
    posted["image_size:branch"] = ["0"]

    body = client_alice.post(reverse("catalog:payload", args=[FLUX]), posted).json()

    assert body["input"]["num_images"] == 3
    assert body["cost"] == {
        "text": "≈ $0.15",
        "note": "6 megapixels at $0.025 per megapixel",
        "billed": False,
    }


def test_a_unit_only_the_output_tells_shows_the_price_per_unit(client_alice):
    html = client_alice.get(reverse("catalog:model", args=["fal-ai/elevenlabs/audio-isolation"]))
    line = cost_line(html.text)
    assert "$0.10 per minute" in line and "Billed on the length of what the run makes." in line


def test_a_model_without_a_price_shows_no_cost(client_alice):
    Price.objects.filter(endpoint_id=FLUX).delete()
    page = client_alice.get(reverse("catalog:model", args=[FLUX]))
    assert "data-cost-estimate hidden" in page.text
    body = client_alice.post(reverse("catalog:payload", args=[FLUX]), {"prompt": "x"}).json()
    assert body["cost"] is None


def test_speech_is_priced_on_the_text_typed(client_alice):
    endpoint = "fal-ai/minimax/speech-02-hd"
    line = cost_line(client_alice.get(reverse("catalog:model", args=[endpoint])).text)
    assert "$0.10 per 1,000 characters" in line and "Priced on the text you enter." in line

    body = client_alice.post(reverse("catalog:payload", args=[endpoint]), {"text": "x" * 2000})

    assert body.json()["cost"]["text"] == "≈ $0.20"
    assert body.json()["cost"]["note"] == "2 thousand characters at $0.10 per 1,000 characters"
