"""How many billable units a request is: estimated from its input before it runs, or
measured on what it made (the emulator's `x-fal-billable-units`).

fal bills per image, per megapixel (each image rounded up to whole megapixels of
1024 x 1024), per second or minute of video or audio, per video, per character or per
1,000 characters of text, or per request; `Unit` in models.py names them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from playground.usage.models import Unit

MEGAPIXEL = 1024 * 1024
# fal's named image sizes (the `image_size` enum of its image models).
IMAGE_SIZES = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
COUNT_KEYS = ("num_images", "num_outputs", "batch_size", "n")
SECONDS_KEYS = ("duration", "video_duration", "duration_seconds", "audio_duration", "seconds")
TEXT_KEYS = ("text", "prompt", "input", "lyrics")
# fal's spellings of its units, as its pricing API and pages write them.
SPELLINGS = {
    "image": Unit.IMAGE,
    "images": Unit.IMAGE,
    "megapixel": Unit.MEGAPIXEL,
    "megapixels": Unit.MEGAPIXEL,
    "mp": Unit.MEGAPIXEL,
    "second": Unit.SECOND,
    "seconds": Unit.SECOND,
    "video_second": Unit.SECOND,
    "video_seconds": Unit.SECOND,
    "audio_second": Unit.SECOND,
    "audio_seconds": Unit.SECOND,
    "minute": Unit.MINUTE,
    "minutes": Unit.MINUTE,
    "audio_minute": Unit.MINUTE,
    "video": Unit.VIDEO,
    "videos": Unit.VIDEO,
    "character": Unit.CHARACTER,
    "characters": Unit.CHARACTER,
    "1k characters": Unit.KILO_CHARACTER,
    "1000 characters": Unit.KILO_CHARACTER,
    "1k_characters": Unit.KILO_CHARACTER,
    "1000_characters": Unit.KILO_CHARACTER,
    "thousand characters": Unit.KILO_CHARACTER,
    "request": Unit.REQUEST,
    "requests": Unit.REQUEST,
    "run": Unit.REQUEST,
    "call": Unit.REQUEST,
    "generation": Unit.REQUEST,
    "compute second": Unit.COMPUTE_SECOND,
    "gpu_second": Unit.COMPUTE_SECOND,
    "gpu_seconds": Unit.COMPUTE_SECOND,
    "compute_seconds": Unit.COMPUTE_SECOND,
}


def normalize_unit(text: Any) -> str | None:
    """Our Unit for a unit name as fal writes it ("megapixels", "1000 characters"...);
    None for one we cannot count."""
    key = re.sub(r"\s+", " ", str(text or "").strip().lower()).removeprefix("per ")
    return SPELLINGS.get(key) or SPELLINGS.get(key.replace(" ", "_"))


@dataclass(frozen=True)
class Made:
    """What a finished request produced, as far as billing cares."""

    images: list[tuple[int, int]] = field(default_factory=list)  # (width, height)
    video_seconds: list[float] = field(default_factory=list)
    audio_seconds: list[float] = field(default_factory=list)
    compute_seconds: float | None = None


def estimate(unit: str, data: dict[str, Any], schema: dict[str, Any] | None = None) -> float | None:
    """Units the input will be billed, or None when only the output can tell (the length
    of speech to be made, of an uploaded recording...)."""
    view = _Input(data, schema or {})
    if unit == Unit.IMAGE:
        return float(view.count())
    if unit == Unit.MEGAPIXEL:
        return float(view.count() * megapixels(*view.size()))
    if unit in (Unit.SECOND, Unit.MINUTE):
        seconds = view.seconds()
        return None if seconds is None else _per_unit(unit, seconds)
    if unit in (Unit.VIDEO, Unit.REQUEST):
        return 1.0
    if unit in (Unit.CHARACTER, Unit.KILO_CHARACTER):
        text = view.text()
        return _characters(unit, text) if text else None  # nothing typed yet
    return None


def measure(unit: str, data: dict[str, Any], made: Made) -> float | None:
    """Units a finished request is billed: what it made, else what its input asked for."""
    if unit == Unit.IMAGE and made.images:
        return float(len(made.images))
    if unit == Unit.MEGAPIXEL and made.images:
        return float(sum(megapixels(w, h) for w, h in made.images))
    if unit in (Unit.SECOND, Unit.MINUTE):
        # The length asked for is what fal bills; the emulator clamps what it renders.
        seconds = _Input(data, {}).seconds() or sum(made.video_seconds or made.audio_seconds)
        return _per_unit(unit, seconds) if seconds else None
    if unit == Unit.VIDEO:
        return float(max(len(made.video_seconds), 1))
    if unit == Unit.COMPUTE_SECOND:
        return made.compute_seconds
    return estimate(unit, data)


def made_of_output(output: Any) -> Made:
    """What a fal answer says it made (its images' sizes, its media's durations), for runs
    whose answer carries no billable units: a stream's last event has no headers."""
    made = Made()
    if not isinstance(output, dict):
        return made
    for item in _files(output.get("images")) + _files(output.get("image")):
        width, height = _number(item.get("width")), _number(item.get("height"))
        if width and height:
            made.images.append((int(width), int(height)))
    for key, seconds in (("video", made.video_seconds), ("audio", made.audio_seconds)):
        for item in _files(output.get(key)) + _files(output.get(f"{key}_file")):
            duration = _number(item.get("duration"))
            if duration:
                seconds.append(duration)
    return made


def _files(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def megapixels(width: int, height: int) -> int:
    return max(1, math.ceil(width * height / MEGAPIXEL))


def _per_unit(unit: str, seconds: float) -> float:
    return round(seconds / 60, 4) if unit == Unit.MINUTE else round(seconds, 3)


def _characters(unit: str, text: str) -> float:
    return round(len(text) / 1000, 3) if unit == Unit.KILO_CHARACTER else float(len(text))


class _Input:
    """An input with its schema's defaults behind it."""

    def __init__(self, data: dict[str, Any], schema: dict[str, Any]) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.props = schema.get("properties") or {} if isinstance(schema, dict) else {}

    def get(self, key: str) -> Any:
        if key in self.data:
            return self.data[key]
        prop = self.props.get(key)
        return prop.get("default") if isinstance(prop, dict) else None

    def count(self) -> int:
        for key in COUNT_KEYS:
            value = _number(self.get(key))
            if value:
                return max(int(value), 1)
        return 1

    def size(self) -> tuple[int, int]:
        """The output size asked for; 1024 x 1024 when the input does not say (edits make
        pictures the size of their source, which only the output knows)."""
        size = self.get("image_size")
        if isinstance(size, str) and size in IMAGE_SIZES:
            return IMAGE_SIZES[size]
        if isinstance(size, dict):
            width, height = _number(size.get("width")), _number(size.get("height"))
            if width and height:
                return int(width), int(height)
        width, height = _number(self.get("width")), _number(self.get("height"))
        if width and height:
            return int(width), int(height)
        return 1024, 1024

    def seconds(self) -> float | None:
        for key in SECONDS_KEYS:
            value = _number(self.get(key))
            if value:
                return value
        frames, fps = _number(self.get("num_frames")), _number(self.get("fps")) or 24
        return frames / fps if frames else None

    def text(self) -> str:
        for key in TEXT_KEYS:
            value = self.get(key)
            if isinstance(value, str) and value:
                return value
        return ""


def _number(value: Any) -> float | None:
    """A positive number, also inside a string like "5" or "8s"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 and math.isfinite(value) else None
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*s?\s*", value)
        return float(found.group(1)) if found else None
    return None
