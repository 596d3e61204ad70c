"""A ready-to-run input for "Load example": defaults, plus examples for required fields."""

from __future__ import annotations

import base64
import functools
import io
import math
import zipfile
from typing import Any

from PIL import Image

from . import freeform
from .build import build_form
from .decode import decode
from .encode import encode
from .spec import ARRAY, BOOLEAN, CONST, ENUM, FILE, INTEGER, NUMBER, OBJECT, UNION, FieldSpec

_MISSING: Any = object()
# Placeholders for required files without examples: obviously not real inputs.
SAMPLE_URLS = {
    "image": "https://example.com/input.png",
    "audio": "https://example.com/input.mp3",
    "video": "https://example.com/input.mp4",
    "file": "https://example.com/input.zip",
}


def example_input(schema: dict[str, Any]) -> dict[str, Any]:
    """Every default, plus the first example (or a made-up value) of each required field
    without one, in the form's canonical spelling: what the form itself would post, so
    optional "" / null / [] defaults are left out (see convert.py)."""
    if freeform.is_freeform(schema):
        return {}
    raw = _object(build_form(schema).fields)
    return decode(schema, encode(schema, raw)).input


def _object(fields: list[FieldSpec]) -> dict[str, Any]:
    value = {}
    for field in fields:
        child = _example(field)
        if child is not _MISSING:
            value[field.name] = child
    return value


def _example(field: FieldSpec) -> Any:
    if field.addable:
        return _MISSING  # optional groups start absent, as on the page
    if field.has_default:
        return field.default
    return sample(field) if field.required else _MISSING


def sample(field: FieldSpec) -> Any:
    """A plausible value for a field: its first example, else the simplest valid guess."""
    if field.examples:
        return field.examples[0]
    if field.kind == OBJECT:
        return _object(field.children)
    if field.kind == ARRAY and field.item is not None:
        return [sample(field.item) for _ in range(max(field.min_items or 0, 1))]
    if field.kind == UNION and field.branches:
        # A preset is the safest pick: it needs no numbers that might be out of range.
        enum = [b.field for b in field.branches if b.field.kind == ENUM]
        return sample(enum[0] if enum else field.branches[0].field)
    return _scalar(field)


def is_training_set(field: FieldSpec) -> bool:
    """A zip of images to train on (`images_data_url`, `training_data_url`...)."""
    return field.kind == FILE and field.media == "file" and field.name.endswith("data_url")


@functools.cache
def training_set_uri(count: int = 4) -> str:
    """A tiny training set, as a data URI both fal and the emulator read: `count` plain
    pictures with captions, so "Load example" on a trainer runs without an upload."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            picture = Image.new("RGB", (64, 64), (40 + 50 * i, 120, 200 - 40 * i))
            png = io.BytesIO()
            picture.save(png, "PNG")
            stamp = (2020, 1, 1, 0, 0, 0)
            archive.writestr(zipfile.ZipInfo(f"sample_{i + 1}.png", stamp), png.getvalue())
            caption = f"a plain colour swatch, number {i + 1}".encode()
            archive.writestr(zipfile.ZipInfo(f"sample_{i + 1}.txt", stamp), caption)
    return "data:application/zip;base64," + base64.b64encode(buffer.getvalue()).decode()


def _scalar(field: FieldSpec) -> Any:
    if field.kind == CONST:
        return field.const
    if field.kind == ENUM:
        return field.choices[0].value if field.choices else None
    if field.kind == BOOLEAN:
        return False
    if field.kind in (INTEGER, NUMBER):
        return _lowest(field)
    if is_training_set(field):
        return training_set_uri()
    if field.kind == FILE:
        return SAMPLE_URLS.get(field.media or "file", SAMPLE_URLS["file"])
    text = "example"
    if field.min_length and field.min_length > len(text):
        text = text * math.ceil(field.min_length / len(text))
    return text[: field.max_length] if field.max_length is not None else text


def _lowest(field: FieldSpec) -> int | float:
    low = field.minimum
    if low is None and field.exclusive_minimum is not None:
        low = field.exclusive_minimum + (field.multiple_of or 1)
    if low is None:
        low = 0 if field.maximum is None or field.maximum >= 0 else field.maximum
    if field.multiple_of:
        low = math.ceil(low / field.multiple_of) * field.multiple_of
    return math.ceil(low) if field.kind == INTEGER else low
