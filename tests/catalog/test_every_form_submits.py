"""Proof that every form can be sent as it opens: for each bundled schema (and the shapes of
unseen fal schemas that once could not be), the rendered form, with every optional object
left absent and only its required fields filled in, posts a payload the schema accepts.
Property-based: random optional objects and nullable lists never block the form."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.catalog.formgen import build_form, decode
from playground.catalog.importer import BUNDLED_DIR
from playground.catalog.models import Endpoint
from playground.catalog.openapi import parse_document
from playground.catalog.templatetags.binding import defaults_of
from tests.catalog.formpost import fill_required, form_data, render_fields
from tests.catalog.unseen_schemas import UNSEEN

BUNDLED = sorted(p.name for p in BUNDLED_DIR.glob("*.json"))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def submitted(schema: dict[str, Any]) -> dict[str, Any]:
    """The input the untouched form sends once its required fields are filled."""
    posted = fill_required(schema, form_data(render_fields(schema)))
    decoded = decode(schema, posted)
    assert decoded.errors == {}, (decoded.errors, posted)
    return decoded.input


def assert_valid(schema: dict[str, Any], value: dict[str, Any]) -> None:
    validator = jsonschema.validators.validator_for(schema)
    validator(schema).validate(value)  # raises with the reason


def optional_objects(schema: dict[str, Any]) -> list[str]:
    return [f.name for f in build_form(schema).fields if f.addable and not f.required]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_form_submits_a_valid_payload(name):
    schema = parse_document(json.loads((BUNDLED_DIR / name).read_text())).input_schema
    value = submitted(schema)
    assert_valid(schema, value)
    assert not set(optional_objects(schema)) & set(value)
    assert value.get("sync_mode") is not True


@pytest.mark.django_db
def test_the_catalog_import_loads_every_bundled_schema_and_each_form_submits():
    endpoints = list(Endpoint.objects.filter(source="bundled"))
    assert len(endpoints) == len(BUNDLED)
    for endpoint in endpoints:
        assert_valid(endpoint.input_schema, submitted(endpoint.input_schema))


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_forms_that_could_not_be_sent_now_submit(name):
    schema = UNSEEN[name]
    value = submitted(schema)
    assert_valid(schema, value)
    assert not set(optional_objects(schema)) & set(value)


# -- property-based ----------------------------------------------------------------------
SCALARS = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 1, "maximum": 9},
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "boolean"},
        {"enum": ["a", "b"]},
        {"type": "string", "default": "x"},
        {"type": "integer", "default": 2.5},  # the upstream slip: a float default
        {"anyOf": [{"type": "number"}, {"type": "null"}], "default": 1},
    ]
)
NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta", "path", "scale", "image_url"])


def nullable(node: dict[str, Any], draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"anyOf": [node, {"type": "null"}], "default": None}
    return node


@st.composite
def objects(draw: Any, depth: int = 0) -> dict[str, Any]:
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    props: dict[str, Any] = {}
    for name in names:
        kind = draw(st.integers(0, 3 if depth < 2 else 1))
        if kind <= 1:
            props[name] = draw(SCALARS)
        elif kind == 2:
            props[name] = nullable(draw(objects(depth + 1)), draw)
        else:
            items = draw(objects(depth + 1))
            array = {"type": "array", "items": items}
            if draw(st.booleans()):
                array["minItems"] = draw(st.integers(1, 3))
            props[name] = nullable(array, draw)
    required = draw(st.lists(st.sampled_from(names), unique=True))
    # A required object or list must be filled by the person; these tests leave them absent.
    required = [n for n in required if "type" not in props[n] or props[n]["type"] != "object"]
    required = [n for n in required if "anyOf" not in props[n] and "items" not in props[n]]
    # A required integer whose default is 2.5 can never be valid: a person must type one.
    required = [n for n in required if props[n].get("default") != 2.5]
    return {"type": "object", "properties": props, "required": required}


@st.composite
def schemas(draw: Any) -> dict[str, Any]:
    schema = draw(objects())
    schema["properties"]["prompt"] = {"type": "string"}
    schema["required"] = ["prompt", *schema["required"]]
    return schema


@SETTINGS
@given(schemas())
def test_optional_objects_and_nullable_lists_never_block_the_form(schema):
    value = submitted(schema)
    assert_valid(schema, value)
    for field in build_form(schema).fields:
        if field.addable or (field.kind == "array" and not field.required):
            assert field.name not in value  # absent until the person adds it


@SETTINGS
@given(schemas(), st.data())
def test_an_added_object_is_sent_and_validated_like_the_schema_says(schema, data):
    addable = [f for f in build_form(schema).fields if f.addable]
    if not addable:
        return
    field = data.draw(st.sampled_from(addable))
    # Added: its fieldset is enabled, so its marker and members post, defaults filled in.
    start = defaults_of(build_form(schema)) | {field.name: {}}
    posted = fill_required(schema, form_data(render_fields(schema, start)), (field.name,))
    decoded = decode(schema, posted)
    assert decoded.errors == {}, decoded.errors
    assert isinstance(decoded.input[field.name], dict)
    assert_valid(schema, decoded.input)
