"""Endpoints without a schema (added by id with "no schema", or a schema with no
properties): the form is one JSON editor holding the whole input, posted as `__input__`.

build, decode, encode and examples check `is_freeform` first and hand over to here.
"""

from __future__ import annotations

import json
from typing import Any

from .spec import FREEFORM, JSON, FieldSpec

LABEL = "Input (JSON object)"
HELP = "This endpoint has no parameter schema: type the JSON object it takes."


def is_freeform(schema: Any) -> bool:
    """True for `{}`, `{"type": "object"}` and other object schemas that name no
    property, combine nothing and allow any property."""
    if not isinstance(schema, dict):
        return True
    if schema.get("type", "object") != "object" or schema.get("properties"):
        return False
    if any(key in schema for key in ("$ref", "anyOf", "oneOf", "allOf", "patternProperties")):
        return False
    return schema.get("additionalProperties", True) is not False


def field() -> FieldSpec:
    return FieldSpec(path=FREEFORM, name=FREEFORM, kind=JSON, label=LABEL, help=HELP, widget="json")


def decode_text(raw: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The posted JSON text -> (input, None), or (None, the message for the field).
    Empty means `{}`."""
    from .convert import Invalid, to_json  # convert -> encode -> build imports this module

    if raw is None or not raw.strip():
        return {}, None
    try:
        value = to_json(raw)
    except Invalid as exc:
        return None, str(exc)
    if not isinstance(value, dict):
        return None, 'Enter a JSON object, e.g. {"prompt": "a cat"}.'
    return value, None


def encode_value(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        value = {}
    return {FREEFORM: [json.dumps(value, indent=2, ensure_ascii=False)]}
