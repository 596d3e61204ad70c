"""The form generator against every bundled schema, and decode's targeted cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict

from playground.catalog.formgen import (
    ROOT,
    Decoded,
    build_form,
    decode,
    encode,
    example_input,
    validate,
)
from playground.catalog.formgen.encode import leaf_text
from playground.catalog.formgen.spec import (
    ARRAY,
    BOOLEAN,
    ENUM,
    FILE,
    JSON,
    OBJECT,
    STRING,
    UNION,
    FieldSpec,
)
from playground.catalog.openapi import parse_document

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "playground" / "catalog" / "schemas"
SCHEMA_FILES = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    return parse_document(json.loads((SCHEMA_DIR / name).read_text())).input_schema


def by_path(fields: list[FieldSpec], path: str) -> FieldSpec:
    return next(f for f in fields if f.path == path)


def fresh_post(fields: list[FieldSpec], filled: dict[str, list[str]]) -> dict[str, list[str]]:
    """What a browser submits for a freshly rendered form with `filled` typed in:
    every input prefilled with its default, each checkbox's hidden "false" first."""
    post: dict[str, list[str]] = {}
    for field in fields:
        _render(field, field.path, filled, post)
    for name, values in filled.items():
        post[name] = ["false", *values] if values == ["true"] else values
    return post


def _render(field: FieldSpec, name: str, filled: dict, post: dict) -> None:
    if field.kind == OBJECT:
        for child in field.children:
            _render(child, f"{name}.{child.name}", filled, post)
    elif field.kind == UNION:
        k = int(filled.get(f"{name}:branch", ["0"])[0])
        post[f"{name}:branch"] = [str(k)]
        _render(field.branches[k].field, f"{name}:{k}", filled, post)
    elif field.kind == BOOLEAN:
        post[name] = ["false", "true"] if field.default is True else ["false"]
    elif field.kind != ARRAY:
        default = field.default if field.has_default else None
        post[name] = ["" if default is None else leaf_text(field, default)]


# build_form


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_property_appears_once_in_order(name):
    schema = load(name)
    form = build_form(schema)
    names = [f.name for f in form.fields]
    order = schema.get("x-fal-order-properties", [])
    expected = [n for n in order if n in schema["properties"]]
    expected += [n for n in schema["properties"] if n not in expected]
    # sync_mode is never offered (the gallery needs URLs); required prompts come first.
    props = schema["properties"]
    expected = [n for n in expected if n != "sync_mode" or props[n].get("type") != "boolean"]
    prompts = [n for n in expected if n.endswith("prompt") and n in schema.get("required", [])]
    assert names == prompts + [n for n in expected if n not in prompts]


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_bundled_schemas_need_no_json_fields(name):
    def kinds(field: FieldSpec) -> list[str]:
        nested = [*field.children, *([field.item] if field.item else [])]
        nested += [b.field for b in field.branches]
        return [field.kind, *(k for child in nested for k in kinds(child))]

    assert JSON not in [k for f in build_form(load(name)).fields for k in kinds(f)]


def test_flux_dev_form_has_image_size_union_slider_and_seed():
    fields = build_form(load("fal-ai__flux__dev.json")).fields
    image_size = by_path(fields, "image_size")
    assert image_size.kind == UNION
    custom, preset = image_size.branches
    assert (custom.label, custom.field.kind, custom.field.path) == (
        "Custom",
        OBJECT,
        "image_size:0",
    )
    assert [c.path for c in custom.field.children] == ["image_size:0.width", "image_size:0.height"]
    assert (preset.label, preset.field.kind) == ("Preset", ENUM)
    assert preset.field.path == "image_size:1"
    guidance = by_path(fields, "guidance_scale")
    assert (guidance.widget, guidance.minimum, guidance.maximum) == ("slider", 1, 20)
    seed = by_path(fields, "seed")
    assert seed.is_seed and seed.advanced and seed.nullable
    prompt = by_path(fields, "prompt")
    assert prompt.widget == "textarea" and not prompt.advanced and prompt.required


def test_loras_are_rows_of_path_and_scale():
    loras = by_path(build_form(load("fal-ai__fast-sdxl.json")).fields, "loras")
    assert loras.kind == ARRAY and loras.item.kind == OBJECT
    assert loras.item.path == "loras.__index__"
    paths = {c.path for c in loras.item.children}
    assert {"loras.__index__.path", "loras.__index__.scale"} <= paths


@pytest.mark.parametrize("name", [n for n in SCHEMA_FILES if "image-editing" in n])
def test_editing_schemas_take_an_image_file(name):
    image_url = by_path(build_form(load(name)).fields, "image_url")
    assert (image_url.kind, image_url.media, image_url.advanced) == (FILE, "image", False)


def test_file_hints_give_media_kinds():
    lipsync = build_form(load("fal-ai__kling-video__lipsync__audio-to-video.json")).fields
    assert [(f.name, f.media) for f in lipsync] == [("video_url", "video"), ("audio_url", "audio")]
    urls = by_path(
        build_form(load("fal-ai__bytedance__seedream__v4__edit.json")).fields, "image_urls"
    )
    assert (urls.item.kind, urls.item.media) == (FILE, "image")


def test_small_enums_are_segmented_and_large_ones_select():
    fields = build_form(load("fal-ai__flux__dev.json")).fields
    assert by_path(fields, "output_format").widget == "segmented"
    assert by_path(fields, "image_size").branches[1].field.widget == "select"


def test_help_text_is_dedented():
    seed = by_path(build_form(load("fal-ai__flux__dev.json")).fields, "seed")
    assert seed.help.startswith("The same seed") and "\n        " not in seed.help


def test_recursive_refs_fall_back_to_json():
    schema = {
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    tree = build_form(schema).fields[0]
    assert tree.kind == OBJECT and tree.children[0].item.kind == JSON


def test_allof_and_type_lists_are_understood():
    schema = {
        "type": "object",
        "properties": {
            "opts": {"allOf": [{"$ref": "#/$defs/A"}, {"properties": {"b": {"type": "string"}}}]},
            "maybe": {"type": ["integer", "null"]},
            "either": {"type": ["integer", "string"]},
        },
        "$defs": {"A": {"type": "object", "properties": {"a": {"type": "boolean"}}}},
    }
    opts, maybe, either = build_form(schema).fields
    assert [c.path for c in opts.children] == ["opts.b", "opts.a"]
    assert (maybe.kind, maybe.nullable) == ("integer", True)
    assert either.kind == JSON


# round trips and browser posts


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_example_input_round_trips_and_is_valid(name):
    schema = load(name)
    example = example_input(schema)
    assert validate(schema, example) == {}
    assert decode(schema, encode(schema, example)) == Decoded(example, {})


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_browser_post_of_defaults_is_valid(name):
    schema = load(name)
    form = build_form(schema)
    post = fresh_post(form.fields, encode(schema, example_input(schema)))
    decoded = decode(schema, post)
    assert decoded.errors == {}
    assert validate(schema, decoded.input) == {}


# targeted decode cases

FLUX = "fal-ai__flux__dev.json"
SDXL = "fal-ai__fast-sdxl.json"


def test_custom_image_size_is_decoded_from_its_branch():
    post = {
        "prompt": "a cat",
        "image_size:branch": "0",
        "image_size:0.width": "1024",
        "image_size:0.height": "768",
        "image_size:1": "square",  # the hidden preset input is posted too, and ignored
    }
    decoded = decode(load(FLUX), post)
    assert decoded.errors == {}
    assert decoded.input["image_size"] == {"width": 1024, "height": 768}


def test_preset_image_size_is_the_enum_value():
    post = {"prompt": "a cat", "image_size:branch": "1", "image_size:1": "square"}
    assert decode(load(FLUX), post).input["image_size"] == "square"


def test_lora_rows_with_a_gap_are_taken_in_order():
    post = {
        "prompt": "a cat",
        "loras.3.path": "https://x/b.safetensors",
        "loras.3.scale": "0.25",
        "loras.0.path": "https://x/a.safetensors",
        "loras.0.scale": "1",
        "loras.0.force": ["false", "true"],
    }
    decoded = decode(load(SDXL), post)
    assert decoded.errors == {}
    assert decoded.input["loras"] == [
        {"scale": 1, "force": True, "path": "https://x/a.safetensors"},
        {"scale": 0.25, "path": "https://x/b.safetensors"},
    ]


def test_row_errors_point_at_the_posted_row():
    post = {"prompt": "a", "loras.0.path": "p", "loras.7.scale": "3"}
    errors = decode(load(SDXL), post).errors
    assert errors == {
        "loras.7.scale": ["Ensure this value is at most 1."],
        "loras.7.path": ["This field is required."],
    }


def test_bad_number_is_reported_at_its_field():
    decoded = decode(load(FLUX), {"prompt": "a", "guidance_scale": "lots", "num_images": "2.5"})
    assert decoded.errors == {
        "guidance_scale": ["Enter a number."],
        "num_images": ["Enter a whole number."],
    }


def test_out_of_range_number_gets_a_friendly_message():
    errors = decode(load(FLUX), {"prompt": "a", "guidance_scale": "25"}).errors
    assert errors == {"guidance_scale": ["Ensure this value is at most 20."]}


def test_custom_size_errors_land_on_the_branch_input():
    post = {"prompt": "a", "image_size:branch": "0", "image_size:0.width": "0"}
    errors = decode(load(FLUX), post).errors
    assert errors == {"image_size:0.width": ["Ensure this value is greater than 0."]}


def test_missing_prompt_is_required():
    decoded = decode(load(FLUX), {"prompt": ""})
    assert decoded.errors == {"prompt": ["This field is required."]}
    assert "prompt" not in decoded.input


def test_checkbox_last_value_wins():
    schema = load(FLUX)
    posted = {"prompt": "a", "enable_safety_checker": ["false", "true"]}
    assert decode(schema, posted).input["enable_safety_checker"] is True
    posted = {"prompt": "a", "enable_safety_checker": ["false"]}
    assert decode(schema, posted).input["enable_safety_checker"] is False


def test_query_dict_is_read_like_a_browser_post():
    post = QueryDict(
        "prompt=a+cat&enable_safety_checker=false&enable_safety_checker=true&num_images=2"
    )
    decoded = decode(load(FLUX), post)
    assert decoded.input == {"prompt": "a cat", "enable_safety_checker": True, "num_images": 2}


def test_empty_nullable_is_left_out():
    decoded = decode(load(FLUX), {"prompt": "a", "seed": ""})
    assert decoded.errors == {} and "seed" not in decoded.input


def test_empty_optional_string_is_left_out_so_the_default_applies():
    decoded = decode(load(SDXL), {"prompt": "a", "negative_prompt": ""})
    assert decoded.input == {"prompt": "a"}


def test_enum_values_keep_their_json_type():
    schema = load("fal-ai__minimax__speech-02-hd.json")
    post = {"text": "hi", "audio_setting.channel": "2", "audio_setting.sample_rate": "44100"}
    assert decode(schema, post).input["audio_setting"] == {"sample_rate": 44100, "channel": 2}
    assert decode(schema, {"text": "hi", "audio_setting.channel": "3"}).errors == {
        "audio_setting.channel": ["Select a valid choice."]
    }


def test_const_fields_post_their_fixed_value():
    decoded = decode(load("fal-ai__wizper.json"), {"audio_url": "https://x/a.mp3", "version": "9"})
    assert decoded.input == {"audio_url": "https://x/a.mp3", "version": "3"}


JSON_SCHEMA = {
    "type": "object",
    "properties": {"extra": {"type": "object", "additionalProperties": True}},
}


def test_json_field_parse_error_is_reported():
    decoded = decode(JSON_SCHEMA, {"extra": "{not json"})
    assert decoded.errors == {"extra": ["Enter valid JSON."]}
    assert decode(JSON_SCHEMA, {"extra": '{"a": [1, 2]}'}).input == {"extra": {"a": [1, 2]}}


def test_json_field_rejects_nan_and_absurd_nesting():
    assert decode(JSON_SCHEMA, {"extra": '{"a": NaN}'}).errors == {"extra": ["Enter valid JSON."]}
    deep = "[" * 5000 + "]" * 5000
    assert decode(JSON_SCHEMA, {"extra": deep}).errors == {"extra": ["Enter valid JSON."]}


def test_unknown_and_junk_names_are_ignored():
    post = {
        "prompt": "a",
        "nope": "1",
        "a..b": "x",
        "__index__": "x",
        ":branch": "1",
        "loras.__index__.path": "template row",
        "loras.01.path": "leading zero",
        "loras.-1.path": "negative",
        "image_size:branch": "7",
        "x" * 10_000: "long",
    }
    decoded = decode(load(SDXL), post)
    assert decoded == Decoded({"prompt": "a"}, {})


def test_too_many_rows_are_capped_with_an_error():
    post = {"prompt": "a", **{f"loras.{i}.path": "p" for i in range(1200)}}
    decoded = decode(load(SDXL), post)
    assert len(decoded.input["loras"]) == 1000
    assert decoded.errors == {"loras": ["Ensure this list has at most 1000 items."]}


def test_non_mapping_data_decodes_to_required_errors():
    assert decode(load(FLUX), None).errors == {"prompt": ["This field is required."]}


def test_validate_maps_raw_values_to_field_paths():
    errors = validate(load(FLUX), {"image_size": {"width": -1, "height": 5}, "num_images": 0})
    assert errors == {
        "prompt": ["This field is required."],
        "image_size:0.width": ["Ensure this value is greater than 0."],
        "num_images": ["Ensure this value is at least 1."],
    }
    assert validate(load(FLUX), "nope") == {ROOT: ["Enter a valid object."]}


def test_number_fields_keep_ints_and_floats_apart():
    schema = load(SDXL)
    value = {"prompt": "a", "loras": [{"path": "p", "scale": 1}, {"path": "q", "scale": 1.0}]}
    rows = decode(schema, encode(schema, value)).input["loras"]
    assert [type(r["scale"]) for r in rows] == [int, float]


def test_optional_union_can_be_left_empty():
    schema = load("fal-ai__flux-2__klein__9b__edit.real.json")
    post = {"prompt": "a", "image_urls.0": "https://x/i.png", "image_size:branch": ""}
    post |= {"image_size:0.width": "512", "image_size:0.height": "512"}
    assert "image_size" not in decode(schema, post).input


def test_string_fields_keep_their_text_exactly():
    value = {"prompt": "  two\r\nlines  "}
    assert decode(load(FLUX), encode(load(FLUX), value)).input == value


def test_encode_picks_the_branch_a_value_fits():
    schema = load("fal-ai__flux-pro__v1.1-ultra.json")
    assert encode(schema, {"aspect_ratio": "16:9"}) == {
        "aspect_ratio:branch": ["0"],
        "aspect_ratio:0": ["16:9"],
    }
    assert encode(schema, {"aspect_ratio": "5:4"})["aspect_ratio:branch"] == ["1"]


def test_string_kinds_are_plain_text():
    fields = build_form(load(FLUX)).fields
    assert by_path(fields, "prompt").kind == STRING


def test_a_row_with_no_inputs_round_trips():
    schema = load("fal-ai__recraft__v3__text-to-image.json")
    value = {"prompt": "a", "colors": [{}, {"r": 5}]}
    assert encode(schema, value)["colors.0"] == [""]
    assert decode(schema, encode(schema, value)) == Decoded(value, {})


def test_nullable_enum_accepts_an_explicit_null():
    schema = load("fal-ai__wizper.json")
    post = {"audio_url": "https://x/a.mp3", "language": "null"}
    assert decode(schema, post).input == {"audio_url": "https://x/a.mp3", "language": None}
