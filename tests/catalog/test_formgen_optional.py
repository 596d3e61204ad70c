"""Forms that must be submittable as they open: optional objects start absent, optional
lists start empty, off-type defaults pass, null and "" can be chosen, sync_mode stays out."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.urls import reverse

from playground.catalog.formgen import build_form, decode, encode, example_input, validate
from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.models import Endpoint
from playground.catalog.templatetags.binding import bind, defaults_of
from tests.catalog.unseen_schemas import BLANKS, FLOWEDIT, NESTED, SD35, SPEAKERS


def fields_of(schema):
    return {f.name: f for f in build_form(schema).fields}


def test_optional_objects_are_addable_and_required_ones_are_not():
    fields = fields_of(SD35)
    assert fields["controlnet"].addable and fields["ip_adapter"].addable
    assert not fields["prompt"].addable
    nested = fields_of(NESTED)
    plan = nested["composition_plan"]
    assert plan.addable
    assert [c.name for c in plan.children if c.addable] == ["relight_parameters"]
    assert nested["goal_force"].addable  # required, but null is allowed


def test_an_untouched_form_leaves_optional_objects_out_and_validates():
    decoded = decode(SD35, {"prompt": "a castle", "controlnet.conditioning_scale": "1"})
    # Inputs of an absent group are never posted (its fieldset is disabled); a stray
    # member alone still counts as "added", and then its required members are missing.
    assert decoded.errors.keys() == {"controlnet.path", "controlnet.control_image_url"}

    decoded = decode(SD35, {"prompt": "a castle"})
    assert decoded.errors == {}
    assert decoded.input == {"prompt": "a castle"}


def test_an_added_object_is_sent_even_when_empty_and_its_required_members_are_asked_for():
    decoded = decode(SD35, {"prompt": "a", "controlnet": ""})
    assert decoded.input["controlnet"] == {}
    assert decoded.errors == {
        "controlnet.path": ["This field is required."],
        "controlnet.control_image_url": ["This field is required."],
    }
    decoded = decode(
        SD35,
        {
            "prompt": "a",
            "controlnet": "",
            "controlnet.path": "https://x/cn.safetensors",
            "controlnet.control_image_url": "https://x/a.png",
            "controlnet.conditioning_scale": "0.5",
        },
    )
    assert decoded.errors == {}
    assert decoded.input["controlnet"]["conditioning_scale"] == 0.5


def test_a_required_nullable_object_left_absent_is_sent_as_null():
    decoded = decode(NESTED, {"prompt": "a"})
    assert decoded.errors == {}
    assert decoded.input == {"prompt": "a", "goal_force": None}


def test_encode_marks_an_added_object_so_the_round_trip_keeps_it():
    value = {"prompt": "a", "structured_prompt": {"subject": "cat"}, "goal_force": None}
    posted = encode(NESTED, value)
    assert posted["structured_prompt"] == [""]
    assert decode(NESTED, posted).input == value
    empty = {"prompt": "a", "composition_plan": {}, "goal_force": None}
    assert decode(NESTED, encode(NESTED, empty)).input == empty


def test_the_page_draws_absent_groups_disabled_behind_an_add_button():
    form = bind(build_form(SD35), encode(SD35, {"prompt": "a"}))
    controlnet = next(f for f in form.fields if f.spec.name == "controlnet")
    assert controlnet.template == "catalog/fields/optional.html"
    assert not controlnet.present
    form = bind(build_form(SD35), encode(SD35, {"prompt": "a", "controlnet": {"path": "p"}}))
    controlnet = next(f for f in form.fields if f.spec.name == "controlnet")
    assert controlnet.present


def test_a_nullable_list_with_min_items_starts_empty_and_its_first_add_opens_them_all():
    speakers = bind(build_form(SPEAKERS), {}).fields[1]
    assert speakers.rows == []
    assert speakers.min_rows == ""  # every row may be removed: the list may be left out
    assert decode(SPEAKERS, {"script": "hi"}).errors == {}
    # One row of two is not enough, and says so at the list.
    decoded = decode(SPEAKERS, {"script": "hi", "speakers.0.preset": "Alice"})
    assert decoded.errors == {"speakers": ["Ensure this list has at least 2 items."]}


def test_a_required_list_with_min_items_still_opens_its_rows():
    schema = {**SPEAKERS, "required": ["script", "speakers"]}
    schema["properties"] = {
        **SPEAKERS["properties"],
        "speakers": SPEAKERS["properties"]["speakers"]["anyOf"][0],
    }
    speakers = bind(build_form(schema), {}).fields[1]
    assert len(speakers.rows) == 2 and speakers.min_rows == "2"


def test_an_integer_with_a_float_default_accepts_its_default():
    form = bind(build_form(FLOWEDIT), encode(FLOWEDIT, defaults_of(build_form(FLOWEDIT))))
    guidance = next(f for f in form.fields if f.spec.name == "src_guidance_scale")
    assert guidance.value == "1.5"
    assert guidance.step == "any"  # the browser must not flag its own default
    decoded = decode(FLOWEDIT, {"image_url": "https://x/a.png", "src_guidance_scale": "1.5"})
    assert decoded.errors == {}
    assert "src_guidance_scale" not in decoded.input  # the model applies its default
    # Any other value is still a whole number.
    decoded = decode(FLOWEDIT, {"image_url": "https://x/a.png", "src_guidance_scale": "2.5"})
    assert decoded.errors == {"src_guidance_scale": ["Enter a whole number."]}
    decoded = decode(FLOWEDIT, {"image_url": "https://x/a.png", "num_inference_steps": "28.0"})
    assert decoded.input["num_inference_steps"] == 28


def test_null_and_empty_can_be_sent_when_the_default_is_a_value():
    fields = fields_of(BLANKS)
    assert fields["negative_prompt"].blank == "empty"
    assert fields["guidance"].blank == "null"
    assert fields["prompt"].blank == ""
    posted = {"prompt": "a", "negative_prompt:blank": "true", "guidance:blank": "true"}
    decoded = decode(BLANKS, posted)
    assert decoded.errors == {}
    assert decoded.input == {"prompt": "a", "negative_prompt": "", "guidance": None}
    # Without the box, empty still means "the model's default".
    assert decode(BLANKS, {"prompt": "a", "negative_prompt": ""}).input == {"prompt": "a"}
    value = {"prompt": "a", "negative_prompt": "", "guidance": None, "voice": None}
    assert decode(BLANKS, encode(BLANKS, value)).input == value


def test_a_nullable_choice_with_a_default_offers_none():
    form = bind(build_form(BLANKS), {"voice": ["null"]})
    voice = next(f for f in form.fields if f.spec.name == "voice")
    assert [o.value for o in voice.options] == ["calm", "bright", "null"]
    assert voice.options[-1].selected
    assert decode(BLANKS, {"prompt": "a", "voice": "null"}).input["voice"] is None


def test_sync_mode_is_never_offered_and_required_prompts_come_first():
    names = [f.name for f in build_form(SD35).fields]
    assert "sync_mode" not in names
    assert names[0] == "prompt"
    assert "sync_mode" not in decode(SD35, {"prompt": "a", "sync_mode": "true"}).input


def test_examples_leave_optional_objects_out():
    for schema in (SD35, NESTED, SPEAKERS, FLOWEDIT, BLANKS):
        value = example_input(schema)
        assert validate(schema, value) == {}, value
    assert "controlnet" not in example_input(SD35)


@pytest.mark.django_db
def test_the_model_page_renders_an_add_button_and_a_disabled_group(client_alice):
    Endpoint.objects.create(
        endpoint_id="fal-ai/stable-diffusion-v35-large",
        title="SD 3.5",
        category="image",
        input_schema=SD35,
        output_schema={"type": "object"},
        modes=["queue"],
        schema_sha="sd35-test",
    )
    url = reverse("catalog:model", args=["fal-ai/stable-diffusion-v35-large"])
    html = client_alice.get(url).content.decode()
    assert re.search(r"data-optional-add[^>]*>.*Add ControlNet", html, re.S)
    assert re.search(r'id="f-controlnet-body" data-optional-body hidden disabled', html)
    assert 'name="sync_mode"' not in html
    assert "To run, fill in the fields marked *" in html
    # The example is a placeholder, and reads as one.
    assert 'placeholder="e.g. A dreamy castle on a cloud"' in html


def test_the_training_example_is_a_real_zip_of_pictures_the_emulator_reads():
    from playground.catalog.openapi import parse_document
    from playground.localfal import files
    from playground.localfal.outputs import artifacts

    path = BUNDLED_DIR / "fal-ai__flux-lora-fast-training.json"
    schema = parse_document(json.loads(path.read_text())).input_schema
    value = example_input(schema)
    assert validate(schema, value) == {}
    url = value["images_data_url"]
    assert url.startswith("data:application/zip;base64,")
    data = files.fetch_input(url)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sum(n.endswith(".png") for n in names) == 4
    assert artifacts.count_zip_entries(data) == 8  # pictures and their captions


def test_a_training_set_field_offers_to_zip_pictures():
    from playground.catalog.openapi import parse_document

    path = BUNDLED_DIR / "fal-ai__flux-lora-portrait-trainer.json"
    schema = parse_document(json.loads(path.read_text())).input_schema
    form = bind(build_form(schema), {})
    field = next(f for f in form.fields if f.spec.name == "images_data_url")
    assert field.zip_images
    other = bind(build_form(SD35), {}).fields
    assert not any(f.zip_images for f in other)
