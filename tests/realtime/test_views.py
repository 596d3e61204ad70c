"""The realtime page and the way to it from a model page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db
LCM = "fal-ai/lcm-sd15-i2i"


def test_the_page_has_a_canvas_the_form_without_the_picture_field_and_no_key(
    client_alice, settings
):
    settings.FAL_KEY = "sk-page-secret:abc123"
    response = client_alice.get(f"/models/{LCM}/realtime")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-canvas" in html and 'data-ws-path="/ws/realtime/fal-ai/lcm-sd15-i2i/"' in html
    assert 'name="prompt"' in html and 'name="strength"' in html
    # The picture comes from the canvas: a hidden marker, no upload widget for it.
    assert re.search(r'<input type="hidden" name="image_url" value="\(live frame\)">', html)
    assert 'data-field="image_url"' not in html
    assert 'data-field="mask_url"' in html  # other file fields stay
    assert "sk-page-secret" not in html


def test_a_prompt_only_model_has_no_input_source(client_alice):
    response = client_alice.get("/models/fal-ai/fast-lcm-diffusion/realtime")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-canvas" not in html and 'data-image-field=""' in html


def test_klein_is_reached_at_its_own_realtime_suffix(client_alice):
    assert client_alice.get("/models/fal-ai/flux-2/klein/realtime/realtime").status_code == 200
    # The model page's address without its slash goes to the model page.
    response = client_alice.get("/models/fal-ai/flux-2/klein/realtime")
    assert response.status_code == 302
    assert response["Location"] == "/models/fal-ai/flux-2/klein/realtime/"


@pytest.mark.parametrize("endpoint_id", ["fal-ai/flux/dev", "nobody/nothing"])
def test_models_without_realtime_have_no_realtime_page(client_alice, endpoint_id):
    assert client_alice.get(f"/models/{endpoint_id}/realtime").status_code == 404


def test_visitors_are_sent_to_log_in(client):
    response = client.get(f"/models/{LCM}/realtime")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_signed_in_person_may_use_it(client, charlie):
    client.force_login(charlie)
    assert client.get(f"/models/{LCM}/realtime").status_code == 200


def test_the_model_page_links_to_it_only_for_realtime_models(client_alice):
    realtime = client_alice.get(f"/models/{LCM}/").content.decode()
    assert f'href="/models/{LCM}/realtime"' in realtime
    assert "Open realtime playground" in realtime
    other = client_alice.get("/models/fal-ai/flux/dev/").content.decode()
    assert "data-realtime-link" not in other
