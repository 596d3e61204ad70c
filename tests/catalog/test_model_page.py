"""The model page: a form generated from the endpoint's input schema, the request panel."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.openapi import parse_document

BUNDLED_IDS = sorted(
    parse_document(json.loads(path.read_text())).endpoint_id for path in BUNDLED_DIR.glob("*.json")
)
FLUX = "fal-ai/flux/dev"
FAKE_KEY = "fake-key-id:fake-key-secret-0123456789"

pytestmark = pytest.mark.django_db


def page_url(endpoint_id: str, query: str = "") -> str:
    return reverse("catalog:model", args=[endpoint_id]) + query


def names(html: str) -> set[str]:
    return set(re.findall(r'name="([^"]+)"', html))


@pytest.mark.parametrize("endpoint_id", BUNDLED_IDS)
def test_every_bundled_model_page_renders(client_alice, endpoint_id):
    response = client_alice.get(page_url(endpoint_id))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<code class="endpoint-id__text" id="endpoint-id">{endpoint_id}</code>' in html
    assert 'id="model-form"' in html
    assert f'data-run-url="/models/{endpoint_id}/run"' in html
    assert "https://queue.fal.run/" + endpoint_id in html


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(page_url(FLUX))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={page_url(FLUX)}"


def test_an_unknown_model_is_a_404_page(client_alice):
    response = client_alice.get(page_url("fal-ai/no-such-model"))

    assert response.status_code == 404
    assert "This page doesn't exist" in response.content.decode()


def test_the_flux_form_posts_the_names_of_the_payload_contract(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    assert {
        "prompt",
        "image_size:branch",
        "image_size:0.width",
        "image_size:0.height",
        "image_size:1",
        "num_inference_steps",
        "seed",
        "guidance_scale",
        "num_images",
        "enable_safety_checker",
        "output_format",
    } <= names(html)


def test_the_form_starts_from_the_schema_defaults(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    assert re.search(r'name="image_size:branch" value="1"[^>]* checked', html)
    assert '<option value="landscape_4_3" selected>Landscape 4:3</option>' in html
    assert re.search(r'name="num_inference_steps" [^>]*value="28"', html)
    # The custom branch is there, switched off, with its own defaults.
    assert re.search(r'<fieldset class="union__branch" data-branch="0" hidden disabled>', html)
    assert re.search(r'name="image_size:0.width" [^>]*value="512"', html)


def test_less_used_fields_sit_in_a_collapsed_advanced_section(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    advanced = html[html.index('<details class="advanced"') :]
    assert '<details class="advanced" data-advanced>' in html  # closed
    assert 'name="num_images"' in advanced or 'name="enable_safety_checker"' in advanced
    assert 'name="prompt"' not in advanced


def test_fields_are_labelled_and_described(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    assert '<label class="field__label" id="f-prompt-label" for="f-prompt">Prompt' in html
    assert 'aria-describedby="f-prompt-help f-prompt-error"' in html
    assert '<p class="field__help" id="f-prompt-help">' in html
    assert 'data-error-for="prompt"' in html


def test_array_rows_come_from_a_template_with_an_index_placeholder(client_alice):
    html = client_alice.get(page_url("fal-ai/fast-sdxl")).content.decode()

    template = html[html.index("<template data-row-template>") :]
    assert 'name="loras.__index__.path"' in template
    assert "data-add-row" in html


def test_file_inputs_offer_upload_url_and_recent_uploads(client_alice):
    html = client_alice.get(page_url("fal-ai/image-editing/cartoonify")).content.decode()

    assert re.search(r'type="url" class="input" id="f-image_url" name="image_url"', html)
    assert 'accept="image/*"' in html
    assert 'data-upload-url="/uploads/"' in html
    assert 'id="recent-uploads"' in html


def test_seed_has_randomize_and_lock(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    assert "data-seed-randomize" in html
    assert 'data-seed-lock aria-pressed="false"' in html


def test_example_fills_the_form(client_alice):
    html = client_alice.get(page_url(FLUX, "?example=1")).content.decode()

    assert "Extreme close-up of a single tiger eye" in html


def test_htmx_asks_for_just_the_fields(client_alice):
    response = client_alice.get(
        page_url(FLUX, "?example=1"), headers={"HX-Request": "true", "HX-Target": "form-fields"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'name="prompt"' in html
    assert "Extreme close-up of a single tiger eye" in html


def test_other_htmx_requests_get_the_whole_page(client_alice):
    response = client_alice.get(page_url(FLUX), headers={"HX-Request": "true"})

    assert "<html" in response.content.decode()


def test_code_samples_read_the_key_from_the_environment(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()

    assert "Authorization: Key $FAL_KEY" in html
    assert "import fal_client" in html
    assert "credentials: process.env.FAL_KEY" in html


def test_the_page_never_contains_the_server_key(client_alice, settings):
    settings.FAL_KEY = FAKE_KEY
    settings.FAL_MODE = "fal"

    for endpoint_id in (FLUX, "fal-ai/image-editing/cartoonify"):
        for query in ("", "?example=1"):
            html = client_alice.get(page_url(endpoint_id, query)).content.decode()
            assert FAKE_KEY not in html
            assert "fake-key-secret" not in html


def test_the_page_needs_few_queries(client_alice, django_assert_max_num_queries, settings):
    settings.PRICE_CACHE_SECONDS = 30  # prices stay in memory, as in production
    client_alice.get(page_url(FLUX))  # warm the form and price caches

    # session, user, endpoint, latest run, recent outputs, teams to post to: the same
    # however much history.
    with django_assert_max_num_queries(6):
        assert client_alice.get(page_url(FLUX)).status_code == 200


def test_a_reload_shows_the_latest_run_of_this_model_live(client_alice, django_user_model):
    from playground.catalog.models import Endpoint
    from playground.jobs import actions

    alice = django_user_model.objects.get(username="alice")
    endpoint = Endpoint.objects.get(endpoint_id=FLUX)
    generation = actions.submit_generation(user=alice, endpoint=endpoint, input={"prompt": "x"})
    html = client_alice.get(page_url(FLUX)).content.decode()
    assert f'ws-connect="/ws/generations/{generation.code}/"' in html
    other = client_alice.get(page_url("fal-ai/fast-sdxl")).content.decode()
    assert "ws-connect" not in other


def test_run_modes_offer_only_what_the_endpoint_supports(client_alice):
    streaming = client_alice.get(page_url("openrouter/router")).content.decode()
    assert 'name="__mode" value="stream"' in streaming
    plain = client_alice.get(page_url("fal-ai/fast-sdxl")).content.decode()
    assert 'value="stream"' not in plain and 'name="__mode" value="run"' in plain


def test_the_file_picker_offers_my_recent_outputs_by_their_fal_url(client_alice, alice):
    from playground.catalog.models import Endpoint
    from playground.jobs import actions
    from tests.jobs.conftest import stored_image

    endpoint = Endpoint.objects.get(endpoint_id=FLUX)
    generation = actions.submit_generation(user=alice, endpoint=endpoint, input={"prompt": "x"})
    stored_image(generation, "https://v3.fal.media/files/out.png")
    html = client_alice.get(page_url("fal-ai/image-editing/cartoonify")).content.decode()
    assert "https://v3.fal.media/files/out.png" in html


def test_every_copy_button_points_at_what_it_copies(client_alice):
    html = client_alice.get(page_url(FLUX)).content.decode()
    targets = re.findall(r'data-copy="#([^"]+)"', html)
    assert {"endpoint-id", "json-editor", "code-curl", "code-python", "code-javascript"} <= set(
        targets
    )
    for target in targets:
        assert f'id="{target}"' in html
