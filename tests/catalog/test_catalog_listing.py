"""D20: the bundled models show fal's titles and descriptions; groups with no model hide;
search knows the words people use ("text to speech") and forgives typos ("fluxx")."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playground.catalog import fuzzy
from playground.catalog.categories import group_for
from playground.catalog.importer import BUNDLED_DIR, bundled_listing
from playground.catalog.models import Endpoint

pytestmark = pytest.mark.django_db
URL = reverse("catalog:browse")


def card_ids(html: str) -> list[str]:
    return re.findall(r'<p class="model-card__id"[^>]*>([^<]+)</p>', html)


def bundled_ids() -> set[str]:
    ids = set()
    for path in BUNDLED_DIR.glob("*.json"):
        ids.add(json.loads(path.read_text())["info"]["x-fal-metadata"]["endpointId"])
    return ids


def test_every_bundled_schema_has_a_title_description_and_category_and_no_more():
    listing = bundled_listing()

    assert set(listing) == bundled_ids()
    for endpoint_id, entry in listing.items():
        assert entry["title"].strip(), endpoint_id
        assert "\n" not in entry["description"], endpoint_id
        assert 20 <= len(entry["description"]) <= 150, endpoint_id
        assert group_for(endpoint_id, entry["category"]) != "other", endpoint_id


def test_the_catalog_shows_the_listing_titles_and_descriptions(client):
    listing = bundled_listing()
    for endpoint in Endpoint.objects.filter(endpoint_id__in=listing):
        entry = listing[endpoint.endpoint_id]
        assert endpoint.title == entry["title"]
        assert endpoint.summary == entry["description"]

    html = client.get(URL).content.decode()
    assert "FLUX.1 [schnell]" in html
    assert "The fastest FLUX: text to image in one to four steps." in html
    assert "Flux Schnell" not in html


def test_groups_without_any_model_get_no_chip(client):
    html = client.get(URL).content.decode()

    assert not Endpoint.objects.filter(group="3d").exists()
    assert 'id="group-tab-3d"' not in html
    assert 'id="group-tab-speech"' in html


def test_while_searching_groups_with_models_keep_their_chip_at_zero(client):
    html = client.get(URL, {"q": "flux"}).content.decode()

    assert re.search(r'id="group-tab-speech"[^>]*chip--empty', html)
    assert 'id="group-tab-3d"' not in html


def test_an_empty_group_asked_for_by_link_still_shows_its_chip(client):
    html = client.get(URL, {"group": "3d"}).content.decode()
    assert re.search(r'id="group-tab-3d"[^>]*aria-current="page"', html)


@pytest.mark.parametrize("query", ["text to speech", "tts", "voice"])
def test_speech_words_find_every_speech_model(client, query):
    speech = set(Endpoint.objects.filter(group="speech").values_list("endpoint_id", flat=True))

    ids = card_ids(client.get(URL, {"q": query}).content.decode())

    assert speech and speech <= set(ids)
    assert "fal-ai/flux/dev" not in ids


def test_category_words_find_models_of_that_kind(client):
    ids = card_ids(client.get(URL, {"q": "image to video"}).content.decode())
    assert "fal-ai/kling-video/v2.1/master/image-to-video" in ids
    assert "fal-ai/flux/dev" not in ids


@pytest.mark.parametrize(
    ("typo", "corrected", "expected"),
    [
        ("fluxx", "flux", "fal-ai/flux/dev"),
        ("stabel diffusion", "stable diffusion", "fal-ai/fast-sdxl"),
        ("speach", "speech", "fal-ai/minimax/speech-02-hd"),
        ("ideogramm", "ideogram", "fal-ai/ideogram/v3"),
    ],
)
def test_typos_find_the_models_and_say_what_was_searched(client, typo, corrected, expected):
    html = client.get(URL, {"q": typo}).content.decode()

    assert expected in card_ids(html)
    assert f"No models match “{typo}”" in html
    assert f"<strong data-corrected>{corrected}</strong>" in html


def test_a_correct_search_is_not_second_guessed(client):
    html = client.get(URL, {"q": "flux"}).content.decode()
    assert "data-corrected" not in html


def test_gibberish_still_finds_nothing(client):
    html = client.get(URL, {"q": "qqqzzzxxx"}).content.decode()
    assert card_ids(html) == []
    assert "No models match" in html


def test_a_corrected_search_costs_a_few_queries_and_reads_the_words_once(client):
    client.get(URL, {"q": "fluxx"})  # the vocabulary is read and kept
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"q": "stabel"}).status_code == 200
    # Account check, counts, retried counts, ranked ids, rows and the vocabulary's version.
    assert len(captured) <= 6


def test_the_vocabulary_follows_catalog_changes():
    assert fuzzy.corrected("zorblax") is None
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    flux.search_text += "\nzorblat"
    flux.save()

    assert fuzzy.corrected("zorblax") == "zorblat"


def test_import_schemas_bundled_puts_the_listing_back():
    Endpoint.objects.filter(endpoint_id="fal-ai/veo3").update(title="veo3", description="")

    call_command("import_schemas", "--bundled", verbosity=0)

    veo = Endpoint.objects.get(endpoint_id="fal-ai/veo3")
    assert veo.title == "Veo 3"
    assert veo.summary == bundled_listing()["fal-ai/veo3"]["description"]


def test_the_htmx_fragment_announces_the_corrected_search(client):
    response = client.get(
        URL, {"q": "fluxx"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results"
    )

    html = response.content.decode()
    assert "<html" not in html
    assert re.search(r'id="catalog-announce" hx-swap-oob="innerHTML">\d+ models for “flux”', html)
    assert response.headers["HX-Push-Url"] == "/models/?q=fluxx"


def test_no_match_offers_signed_in_people_to_add_the_endpoint_by_id(client, alice):
    visitor = client.get(URL, {"q": "comfy/acme/flow"}).content.decode()
    assert "Add it by its endpoint id" not in visitor

    client.force_login(alice)
    html = client.get(URL, {"q": "comfy/acme/flow"}).content.decode()

    assert 'href="/models/add/?endpoint_id=comfy/acme/flow"' in html
    assert 'href="/models/add/" data-add-endpoint' in html
