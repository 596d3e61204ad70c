"""Reuse parameters (?from=) and saved presets on the model page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.gallery.models import Preset
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
FLUX = "fal-ai/flux/schnell"
MODEL = reverse("catalog:model", args=[FLUX])
PRESETS = reverse("gallery:presets")


def test_reuse_parameters_prefills_the_form(client_alice, alice):
    generation = finished(alice, "a lighthouse at dusk")
    page = client_alice.get(MODEL, {"from": generation.code})
    assert page.status_code == 200
    assert "a lighthouse at dusk</textarea>" in page.text
    assert "&quot;seed&quot;: 7" in page.text  # the JSON view too
    assert "Filled with the parameters of the run" in page.text


def test_reuse_of_someone_elses_generation_is_ignored(client, alice, charlie):
    generation = finished(alice, "alice's secret prompt")
    client.force_login(charlie)
    page = client.get(MODEL, {"from": generation.code})
    assert page.status_code == 200 and "alice's secret prompt" not in page.text
    assert "not available" in page.text
    assert client.get(MODEL, {"from": "junk"}).status_code == 200


def test_a_team_member_may_reuse_a_team_generation(client, alice, bob, team):
    generation = finished(alice, "team prompt", team=team, visibility="team")
    client.force_login(bob)
    assert "team prompt</textarea>" in client.get(MODEL, {"from": generation.code}).text


def test_save_a_preset_from_the_form_then_load_it(client_alice, alice):
    response = client_alice.post(
        f"{PRESETS}?endpoint={FLUX}",
        {
            "preset_name": "Dusk",
            "prompt": "a dusk scene",
            "num_inference_steps": "3",
            "__mode": "queue",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 201 and "Saved “Dusk”" in response.text
    preset = Preset.objects.get()
    assert preset.input["prompt"] == "a dusk scene" and preset.input["num_inference_steps"] == 3
    assert "__mode" not in preset.input and preset.owner == alice and preset.team is None
    assert f"?preset={preset.pk}" in response.text
    page = client_alice.get(MODEL, {"preset": preset.pk})
    assert "a dusk scene</textarea>" in page.text and "the preset “Dusk”" in page.text


def test_saving_again_under_the_same_name_updates_it(client_alice, alice):
    for prompt in ("first", "second"):
        client_alice.post(f"{PRESETS}?endpoint={FLUX}", {"preset_name": "P", "prompt": prompt})
    assert Preset.objects.get().input["prompt"] == "second"


def test_a_preset_needs_a_name(client_alice):
    response = client_alice.post(f"{PRESETS}?endpoint={FLUX}", {"preset_name": " ", "prompt": "x"})
    assert response.status_code == 422 and "Give the preset a name." in response.text
    assert not Preset.objects.exists()


def test_presets_are_shared_with_a_team_where_one_may_post(client, alice, bob, vera, team):
    client.force_login(bob)
    client.post(
        f"{PRESETS}?endpoint={FLUX}",
        {"preset_name": "Shared", "preset_team": team.pk, "prompt": "x"},
    )
    assert Preset.objects.get().team == team
    client.force_login(alice)
    assert "Shared" in client.get(PRESETS, {"endpoint": FLUX}).text
    client.force_login(vera)  # a viewer may load it, not share presets of her own
    assert "Shared" in client.get(PRESETS, {"endpoint": FLUX}).text
    response = client.post(
        f"{PRESETS}?endpoint={FLUX}", {"preset_name": "Mine", "preset_team": team.pk}
    )
    assert response.status_code == 403 and Preset.objects.count() == 1


def test_the_menu_lists_only_this_models_presets_i_may_use(client_alice, alice, charlie):
    Preset.objects.create(owner=alice, endpoint_id=FLUX, name="Mine", input={})
    Preset.objects.create(owner=alice, endpoint_id="fal-ai/flux/dev", name="Other model", input={})
    Preset.objects.create(owner=charlie, endpoint_id=FLUX, name="Charlie's", input={})
    text = client_alice.get(PRESETS, {"endpoint": FLUX}).text
    assert "Mine" in text and "Other model" not in text and "Charlie" not in text


def test_the_menu_needs_few_queries(client_alice, alice, team, django_assert_max_num_queries):
    for i in range(10):
        Preset.objects.create(owner=alice, team=team, endpoint_id=FLUX, name=f"p{i}", input={})
    # session, user, endpoint, memberships, presets
    with django_assert_max_num_queries(5):
        assert client_alice.get(PRESETS, {"endpoint": FLUX}).text.count("?preset=") == 10


def test_a_preset_of_another_model_is_not_loaded(client_alice, alice):
    preset = Preset.objects.create(owner=alice, endpoint_id="fal-ai/flux/dev", name="Dev", input={})
    page = client_alice.get(MODEL, {"preset": preset.pk})
    assert "for another model" in page.text


def test_the_model_page_has_a_presets_menu(client_alice):
    assert f"{PRESETS}?endpoint=fal-ai/flux/schnell" in client_alice.get(MODEL).text


def test_unknown_models_are_404(client_alice):
    assert client_alice.get(PRESETS, {"endpoint": "nope/nope"}).status_code == 404
