"""Presentation guesses: labels, help text, widgets, media kinds, what is "advanced"."""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

from .spec import FILE, STRING, FieldSpec

# Free-text fields people write prose into get a textarea and stay in the basic section.
PROMPT_NAMES = {
    "prompt",
    "negative_prompt",
    "text",
    "system_prompt",
    "lyrics",
    "style_prompt",
    "caption",
    "instruction",
    "instructions",
    "transcript",
    "script",
}
# Optional parameters people expect to see without opening "Advanced".
HEADLINE_NAMES = {
    "image_size",
    "aspect_ratio",
    "num_images",
    "duration",
    "resolution",
    "voice",
    "style",
    "model",
    "target_voice",
    "task",
    "language",
    "upscale_factor",
    "strength",
}
# Top-level booleans the form never shows (build.py says why).
HIDDEN_NAMES = {"sync_mode"}
SEGMENTED_MAX_CHOICES = 4
SEGMENTED_MAX_LABEL = 12
SLIDER_MAX_STEPS = 1000  # a slider with more positions than this is useless; use a number box
TEXTAREA_MIN_LENGTH = 200

_MEDIA_WORDS = (
    # "data"/"archive"/"zip" first: `images_data_url` is a zip of images, not an image.
    ("file", ("data", "archive", "zip", "weights", "checkpoint", "safetensors")),
    ("video", ("video", "movie", "clip")),
    ("audio", ("audio", "voice", "speech", "music", "sound", "song")),
    ("image", ("image", "img", "mask", "photo", "picture", "frame")),
)
_UI_MEDIA = {"image", "audio", "video", "file"}


def label_for(name: str, node: dict[str, Any]) -> str:
    title = node.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    return name.replace("_", " ").strip().capitalize() or "Value"


def help_for(node: dict[str, Any]) -> str:
    # pydantic descriptions carry the source file's indentation and surrounding newlines.
    text = node.get("description")
    return inspect.cleandoc(text).strip() if isinstance(text, str) else ""


def is_prompt(name: str) -> bool:
    return name in PROMPT_NAMES or name.endswith("_prompt")


def string_widget(name: str, node: dict[str, Any]) -> str:
    max_length = node.get("maxLength")
    long_text = isinstance(max_length, int) and max_length > TEXTAREA_MIN_LENGTH
    return "textarea" if is_prompt(name) or long_text else "input"


def enum_widget(choices: list[Any]) -> str:
    short = all(len(str(c.label)) <= SEGMENTED_MAX_LABEL for c in choices)
    return "segmented" if len(choices) <= SEGMENTED_MAX_CHOICES and short else "select"


def media_for(name: str, node: dict[str, Any]) -> str | None:
    """The media kind if this string field takes a file URL, else None."""
    hint = _ui_hint(node)
    if hint:
        return hint if hint in _UI_MEDIA else "file"
    words = f"{name} {node.get('title') or ''}".lower()
    by_name = re.search(r"(^|_)urls?$", name) is not None
    uri = node.get("format") in ("uri", "url", "data-url") and media_word(words) != "file"
    if node.get("x-fal-file-input") is True or by_name or uri:
        return media_word(words)
    return None


def _ui_hint(node: dict[str, Any]) -> str | None:
    ui = node.get("ui")
    field = ui.get("field") if isinstance(ui, dict) else None
    field = field or node.get("_fal_ui_field")
    return field if isinstance(field, str) else None


def media_word(words: str) -> str:
    for media, keys in _MEDIA_WORDS:
        if any(k in words for k in keys):
            return media
    return "file"


def is_advanced(field: FieldSpec) -> bool:
    """Top level only: required, file, prompt-like and headline fields stay basic."""
    if field.required or field.kind == FILE or field.media:
        return False
    if field.kind == STRING and is_prompt(field.name):
        return False
    return field.name not in HEADLINE_NAMES


def number_step(field: FieldSpec, integer: bool) -> float | None:
    """The <input step>: multipleOf, 1 for integers, else a power of ten ~1/100 of the range.

    None means "any": a step that the default or examples do not sit on would make the
    browser refuse to submit the form.
    """
    if field.multiple_of:
        return field.multiple_of
    if integer:
        # A float default on an integer (an upstream slip) must still sit on the grid.
        default = field.default if field.has_default else 0
        off_grid = isinstance(default, float) and not default.is_integer()
        return None if off_grid else 1
    low, high = bounds(field)
    if low is None or high is None or high <= low:
        return None
    step = 10 ** math.floor(math.log10((high - low) / 100))
    for _ in range(4):
        if _on_grid(field, low, step):
            return step
        step /= 10
    return None


def _on_grid(field: FieldSpec, low: float, step: float) -> bool:
    values = [field.default, *field.examples] if field.has_default else field.examples
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            ratio = (value - low) / step
            if abs(ratio - round(ratio)) > 1e-6:
                return False
    return True


def bounds(field: FieldSpec) -> tuple[float | None, float | None]:
    low = field.minimum if field.minimum is not None else field.exclusive_minimum
    high = field.maximum if field.maximum is not None else field.exclusive_maximum
    return low, high


def number_widget(field: FieldSpec) -> str:
    low, high = bounds(field)
    if low is None or high is None or high <= low or field.is_seed:
        return "number"
    steps = (high - low) / (field.step or (high - low) / 100)
    return "slider" if steps <= SLIDER_MAX_STEPS else "number"


def enum_labels(values: list[Any]) -> list[str]:
    return [_choice_label(v) for v in values]


def _choice_label(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
