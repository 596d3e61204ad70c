"""A run's input pictures, shown before its output (realtime frames, edits, upscales).

A saved realtime frame stores its input picture as an asset (`input.<field>`); any other
run names its input pictures by URL in its input. Only pictures that are safe to load
without a click are shown: files of our own storage (as same-origin paths) and, in fal
mode, fal's media CDN, the rule of catalog/previews.py and of the CSP's img-src.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from playground.catalog.previews import can_preview
from playground.jobs.inputs import own_file
from playground.lib.csp import FAL_MEDIA_SOURCES

MAX_SHOWN = 4
_BASE = "https://input.invalid/"  # fal URLs are absolute: the base resolves nothing of ours


@dataclass(frozen=True)
class Picture:
    url: str  # the full picture
    thumb: str  # what a small view loads
    field: str  # the input field it was given in


@dataclass(frozen=True)
class InputsAndOutputs:
    inputs: list[Picture]
    outputs: list[Any]  # the assets that are outputs, in order


def is_input_asset(asset: Any) -> bool:
    return (asset.output_path or "").startswith("input.")


def split(generation: Any, assets: list[Any]) -> InputsAndOutputs:
    """The generation's input pictures and its output assets, from assets already loaded
    (no query)."""
    inputs = [
        Picture(a.file.url, a.thumbnail.url if a.thumbnail else a.file.url, a.output_path[6:])
        for a in assets
        if is_input_asset(a) and a.kind == "image"
    ]
    stored = {picture.url for picture in inputs}
    for field, url in _input_urls(generation.input):
        shown = _showable(url)
        if shown and shown not in stored and len(inputs) < MAX_SHOWN:
            stored.add(shown)
            inputs.append(Picture(shown, shown, field))
    return InputsAndOutputs(inputs[:MAX_SHOWN], [a for a in assets if not is_input_asset(a)])


def _input_urls(data: Any) -> list[tuple[str, str]]:
    """(field, URL) of top-level image inputs, masks left out: what the person edited."""
    if not isinstance(data, dict):
        return []
    found = []
    for field, value in data.items():
        if "mask" in field or not field.endswith(("image_url", "image_urls")):
            continue
        for url in value if isinstance(value, list) else [value]:
            if isinstance(url, str):
                found.append((field, url))
    return found


def _showable(url: str) -> str:
    """The address to load `url` by, or "" when it must not be loaded without a click."""
    own = own_file(url)
    if own is not None:
        return own.path  # same origin, whichever of our host names it was given with
    fal_mode = settings.FAL_MODE != "local"
    prefixes = [s if s.endswith("/") else f"{s}/" for s in FAL_MEDIA_SOURCES]
    return url if fal_mode and can_preview(url, prefixes, _BASE) else ""
