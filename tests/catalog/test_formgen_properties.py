"""Property-based tests: hostile posts never crash decode, valid inputs round-trip."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from playground.catalog.formgen import ROOT, build_form, decode, encode, validate
from playground.catalog.formgen.spec import (
    ARRAY,
    BOOLEAN,
    CONST,
    ENUM,
    FILE,
    INDEX,
    INTEGER,
    JSON,
    NUMBER,
    OBJECT,
    STRING,
    UNION,
    FieldSpec,
)
from playground.catalog.openapi import parse_document

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "playground" / "catalog" / "schemas"
SCHEMA_FILES = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# Constructs valid fal schemas may use that the bundled ones do not.
KITCHEN_SINK = {
    "type": "object",
    "required": ["prompt", "mode", "sizes", "fixed"],
    "x-fal-order-properties": ["prompt", "sizes", "mode"],
    "properties": {
        "mode": {"enum": [1, 2.5, True, None, "x"], "title": "Mode"},
        "prompt": {"type": "string", "maxLength": 500},
        "sizes": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {"anyOf": [{"$ref": "#/$defs/Size"}, {"enum": ["small", "large"]}]},
        },
        "choice": {
            "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "maxLength": 3}]
        },
        "fixed": {"const": 3},
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
        "anything": {},
        "steps": {"type": "integer", "multipleOf": 5, "minimum": 0, "maximum": 100},
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "nested": {"allOf": [{"$ref": "#/$defs/Nested"}], "description": "  Nested.  "},
        "tree": {"$ref": "#/$defs/Node"},
        "video_url": {"type": "string", "format": "uri"},
        "mask": {"type": "string", "ui": {"field": "image"}},
        "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
    },
    "$defs": {
        "Size": {
            "type": "object",
            "required": ["width"],
            "properties": {
                "width": {"type": "integer", "exclusiveMinimum": 0, "maximum": 4096},
                "height": {"type": "integer", "exclusiveMinimum": 0, "maximum": 4096},
            },
        },
        "Nested": {
            "type": "object",
            "properties": {
                "flag": {"type": "boolean"},
                "level": {"anyOf": [{"type": "number", "maximum": 1}, {"type": "null"}]},
            },
        },
        "Node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            },
        },
    },
}
SCHEMA_FILES.append("kitchen-sink")


def load(name: str) -> dict[str, Any]:
    if name == "kitchen-sink":
        return KITCHEN_SINK
    return parse_document(json.loads((SCHEMA_DIR / name).read_text())).input_schema


# hostile posts


def field_names(fields: list[FieldSpec]) -> list[str]:
    """Every name the form could post, with row indices 0 and 1."""
    names: list[str] = []
    for field in fields:
        names.append(field.path)
        names += field_names(field.children)
        if field.item is not None:
            names += field_names([field.item])
        if field.branches:
            names.append(f"{field.path}:branch")
            names += field_names([b.field for b in field.branches])
    return [n.replace(INDEX, i) for n in names for i in ("0", "1")] if names else []


JUNK_NAMES = [
    "",
    ".",
    ":",
    "a..b",
    INDEX,
    ":branch",
    "prompt.",
    "prompt:0",
    "loras.-1.path",
    "loras.1e3.path",
    "loras.99999999999.path",
    "loras.0.0.0.0.0.0",
    "image_size:0:0.width",
    "image_size:branch.x",
    "x" * 600,
    ".".join("0" * 60),
]
JUNK_VALUES = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e999",
        "nan",
        "Infinity",
        "true",
        "True",
        "null",
        "9" * 400,
        "[" * 3000,
        '{"a": [1, {"b": null}]}',
        "\x00\ud800\udfff",
        "x" * 50_000,
    ]
)


def hostile_posts(fields: list[FieldSpec]) -> st.SearchStrategy[dict[str, list[str]]]:
    keys = st.sampled_from(field_names(fields) + JUNK_NAMES) | st.text(max_size=30)
    values = st.lists(JUNK_VALUES | st.text(max_size=40), max_size=3)
    return st.dictionaries(keys, values, max_size=25)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_hostile_posts_decode_to_valid_input_or_errors(name):
    schema = load(name)

    @SETTINGS
    @given(post=hostile_posts(build_form(schema).fields))
    def check(post: dict[str, list[str]]) -> None:
        decoded = decode(schema, post)
        assert ROOT not in decoded.errors  # the safety net in decode never fired
        json.dumps(decoded.input, allow_nan=False).encode("utf-8")
        if not decoded.errors:
            assert validate(schema, decoded.input) == {}

    check()


# valid inputs round-trip


def values_for(field: FieldSpec) -> st.SearchStrategy[Any]:
    """Canonical valid values: what the form can express (see formgen/convert.py)."""
    strategy = _base(field)
    if field.required and field.nullable:
        strategy = strategy | st.none()
    return strategy


def _base(field: FieldSpec) -> st.SearchStrategy[Any]:
    kind = field.kind
    if kind == OBJECT:
        return object_values(field.children, field.required)
    if kind == ARRAY and field.item is not None:
        low = max(field.min_items or 0, 0 if field.required else 1)
        return st.lists(values_for(field.item), min_size=low, max_size=max(low, 3))
    if kind == UNION:
        return st.one_of([values_for(b.field) for b in field.branches])
    if kind in (ENUM, CONST):
        values = [c.value for c in field.choices] if kind == ENUM else [field.const]
        return st.sampled_from(values)
    if kind == BOOLEAN:
        return st.booleans()
    if kind in (INTEGER, NUMBER):
        return _numbers(field)
    if kind == FILE:
        return st.sampled_from(["https://x.test/a.png", "https://x.test/b.mp4 "])
    if kind == STRING:
        low = max(field.min_length or 0, 1)
        high = min(field.max_length or 40, 40)
        return st.text(min_size=low, max_size=max(low, high))
    assert kind == JSON
    return st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)


def object_values(fields: list[FieldSpec], required: bool) -> st.SearchStrategy[dict]:
    must = {f.name: values_for(f) for f in fields if f.required}
    may = {f.name: values_for(f) for f in fields if not f.required}
    strategy = st.fixed_dictionaries(must, optional=may)
    # An optional object with nothing in it is left out by the form.
    return strategy if required else strategy.filter(bool)


def _numbers(field: FieldSpec) -> st.SearchStrategy[int | float]:
    low = field.minimum if field.minimum is not None else field.exclusive_minimum
    high = field.maximum if field.maximum is not None else field.exclusive_maximum
    low = -(10**12) if low is None else low
    high = 10**12 if high is None else high
    if field.multiple_of:
        m = field.multiple_of
        steps = st.integers(math.ceil(low / m), math.floor(high / m))
        return steps.map(lambda k: round(k * m, 10))
    ints = st.integers(math.ceil(low), math.floor(high))
    if field.kind == INTEGER:
        return ints
    if math.ceil(low) > math.floor(high):
        ints = st.nothing()
    floats = st.floats(
        low,
        high,
        allow_nan=False,
        exclude_min=field.exclusive_minimum is not None,
        exclude_max=field.exclusive_maximum is not None,
    )
    return ints | floats


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_valid_inputs_round_trip_through_the_form(name):
    schema = load(name)

    @SETTINGS
    @given(value=object_values(build_form(schema).fields, required=True))
    def check(value: dict[str, Any]) -> None:
        assume(validate(schema, value) == {})
        decoded = decode(schema, encode(schema, value))
        assert decoded.errors == {}
        assert decoded.input == value
        # Same JSON, not just Python-equal (1 == 1.0): ints stay ints, floats floats.
        assert json.dumps(decoded.input, sort_keys=True) == json.dumps(value, sort_keys=True)

    check()


def test_kitchen_sink_form_shape():
    fields = {f.name: f for f in build_form(KITCHEN_SINK).fields}
    assert list(fields)[:3] == ["prompt", "sizes", "mode"]
    assert fields["mode"].nullable and [c.value for c in fields["mode"].choices] == [
        1,
        2.5,
        True,
        "x",
    ]
    assert fields["sizes"].item.kind == UNION
    assert fields["sizes"].item.branches[0].field.path == "sizes.__index__:0"
    assert (fields["meta"].kind, fields["anything"].kind) == (JSON, JSON)
    assert fields["steps"].step == 5 and fields["tags"].nullable
    assert fields["nested"].kind == OBJECT and fields["nested"].help == "Nested."
    assert fields["tree"].children[1].item.kind == JSON  # recursion stops
    assert (fields["video_url"].media, fields["mask"].media) == ("video", "image")


def test_kitchen_sink_union_rows_decode():
    post = {
        "prompt": "p",
        "mode": "true",
        "fixed": "3",
        "sizes.0:branch": "0",
        "sizes.0:0.width": "640",
        "sizes.2:branch": "1",
        "sizes.2:1": "large",
        "sizes.3:0.width": "0",
    }
    decoded = decode(KITCHEN_SINK, post)
    assert decoded.input["sizes"] == [{"width": 640}, "large", {"width": 0}]
    assert decoded.input["mode"] is True
    assert decoded.errors == {"sizes.3:0.width": ["Ensure this value is greater than 0."]}


def test_kitchen_sink_required_nullable_empty_is_null():
    decoded = decode(KITCHEN_SINK, {"prompt": "p", "mode": "", "sizes.0:1": "small"})
    assert decoded.input == {"prompt": "p", "sizes": ["small"], "mode": None, "fixed": 3}
    assert decoded.errors == {}
