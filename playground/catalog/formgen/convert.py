"""Posted text -> typed JSON values, one field kind at a time. Raise Invalid with the message.

Normalisation (what the round trip encode -> decode preserves, and what it does not):
- number fields: "3" -> 3 (int), "3.0" / "3.5" / "1e-07" -> float, so ints stay ints;
- integer fields: always int ("3.0" -> 3);
- enum fields: the posted text maps back to the enum's own value (1, true, null, "x");
- empty text of an optional field means "left out": optional "" / null / [] values
  are dropped, so the model's default applies.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .encode import choice_text
from .spec import BOOLEAN, CONST, ENUM, INTEGER, JSON, NUMBER, FieldSpec

MAX_JSON_DEPTH = 64  # deeper JSON would blow the validator's recursion limit
_INT = re.compile(r"[+-]?[0-9]{1,30}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no"}


class Invalid(ValueError):
    """The posted text does not fit the field; str() is the message shown under it."""


def convert(field: FieldSpec, raw: str) -> Any:
    converters = {
        INTEGER: to_integer,
        NUMBER: to_number,
        BOOLEAN: to_boolean,
        JSON: to_json,
    }
    if field.kind == ENUM:
        return to_choice(field, raw)
    if field.kind == CONST:
        return field.const  # a hidden input: whatever was posted, the value is fixed
    converter = converters.get(field.kind)
    return converter(raw) if converter else raw


def off_type_default(field: FieldSpec, raw: str) -> bool:
    """Whether `raw` is an integer field's non-integer default (2.5), as the form shows it."""
    default = field.default
    if field.kind != INTEGER or not field.has_default or not isinstance(default, float):
        return False
    number = _float(raw.strip())
    return not default.is_integer() and number is not None and number == default


def to_integer(raw: str) -> int:
    text = raw.strip()
    if _INT.fullmatch(text):
        return int(text)
    number = _float(text)
    if number is None or not number.is_integer() or abs(number) >= 1e30:
        raise Invalid("Enter a whole number.")
    return int(number)


def to_number(raw: str) -> int | float:
    text = raw.strip()
    if _INT.fullmatch(text):
        return int(text)
    number = _float(text)
    if number is None:
        raise Invalid("Enter a number.")
    return number


def _float(text: str) -> float | None:
    if len(text) > 64 or not _FLOAT.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None  # JSON has no NaN or Infinity


def to_boolean(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid("Enter true or false.")


def to_choice(field: FieldSpec, raw: str) -> Any:
    for choice in field.choices:
        if choice_text(choice.value) == raw:
            return choice.value
    if field.nullable and raw == "null":
        return None  # an explicit "none" option: null may mean "auto" while "" is the default
    # Also accept Python's spelling ("True", "None"), as a Django template renders it.
    for choice in field.choices:
        if str(choice.value) == raw:
            return choice.value
    number = _float(raw.strip())
    for choice in field.choices:
        value = choice.value
        if number is not None and isinstance(value, int | float) and not isinstance(value, bool):
            if value == number:
                return value
    raise Invalid("Select a valid choice.")


def to_json(raw: str) -> Any:
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise Invalid("Enter valid JSON.") from exc
    if _too_deep(value):
        raise Invalid("Enter valid JSON.")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)  # "1e999" parses to inf, which JSON cannot carry back out
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def _too_deep(value: Any) -> bool:
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(MAX_JSON_DEPTH):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True
