"""The emulator's realtime model (fal-protocol.md §6): one msgpack input in, one out.

Image-to-image endpoints answer with a real transform of the input picture, guided by the
prompt and seed: a colour grade drawn from them, blended with the procedural scene they
describe (more of the scene as `strength` rises). Endpoints without an input picture answer
with that scene alone. The grade and the scene are cached per prompt and seed, so a frame
costs one JPEG decode, a table lookup, a blend and one encode: a few milliseconds at 512².

Outputs follow the endpoint's output schema: images carry raw `content` bytes where the
schema says so (fal's newer realtime apps), a data URI `url` otherwise.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image

from playground.localfal import files
from playground.localfal.media import MediaError, load_image, procedural_image, seeded_rng
from playground.localfal.outputs.inputs import RequestView
from playground.localfal.validation import fal_errors
from playground.localfal.worker import resolve_seed, with_defaults

MAX_SIDE = 1024  # realtime frames are small; larger inputs are scaled down first
DEFAULT_STRENGTH = 0.6
_JPEG = {"quality": 85}
_FILE_NAMES = ("image_url", "image", "input_image_url", "init_image_url", "image_bytes")


class InvalidInput(ValueError):
    """The input does not match the schema, or its picture cannot be read."""


@dataclass(frozen=True)
class RealtimeApp:
    """What the emulator needs to know about one realtime endpoint (from the catalog)."""

    endpoint_id: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]

    @property
    def image_field(self) -> str | None:
        return image_field(self.input_schema)


def idle_seconds() -> float:
    """Like fal's `session_timeout`: a session with no input for this long ends (TIMEOUT)."""
    return settings.LOCALFAL_REALTIME_IDLE_SECONDS


def image_field(schema: dict[str, Any]) -> str | None:
    """The top-level property carrying the input picture, if the endpoint takes one."""
    props: dict[str, Any] = schema.get("properties") or {}
    for name in (*_FILE_NAMES, *props):
        prop = props.get(name)
        if not isinstance(prop, dict) or "mask" in name:
            continue
        if name in _FILE_NAMES or (prop.get("x-fal-file-input") and "image" in name):
            return name
    return None


def answer(app: RealtimeApp, data: Any) -> dict[str, Any]:
    """The output for one input; raises InvalidInput with fal-like reasons."""
    problems = fal_errors(app.input_schema, data)
    if problems:
        raise InvalidInput("; ".join(_describe(p) for p in problems))
    data = with_defaults(app.input_schema, data)
    view = RequestView(data)
    seed = resolve_seed(data)
    started = time.perf_counter()
    field = app.image_field
    if field:
        picture = transform(_source(data.get(field)), view.prompt, seed, _strength(data))
    else:
        width, height = view.generation_size()
        picture = scene(view.prompt, seed, min(width, MAX_SIDE), min(height, MAX_SIDE))
    fmt = "png" if view.image_format("jpeg") == "png" else "jpeg"
    image = _image_object(app.output_schema, picture, fmt)
    return _output(app.output_schema, data, view, seed, image, time.perf_counter() - started)


def transform(source: Image.Image, prompt: str, seed: int, strength: float) -> Image.Image:
    """The input graded by the prompt's colours and blended with its scene."""
    img = source.convert("RGB") if source.mode != "RGB" else source
    if max(img.size) > MAX_SIDE:
        img = img.copy()
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
    graded = img.point(_grade(prompt, seed))
    backdrop = scene(prompt, seed, img.width, img.height)
    return Image.blend(graded, backdrop, 0.15 + 0.5 * strength)


@lru_cache(maxsize=64)
def scene(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    return procedural_image(prompt, seed, width, height)


@lru_cache(maxsize=256)
def _grade(prompt: str, seed: int) -> tuple[int, ...]:
    """Per-channel curves (gamma, gain, lift) drawn from prompt and seed: a visible look."""
    rng = seeded_rng("realtime-grade", prompt, seed)
    ramp = np.arange(256) / 255.0
    table: list[int] = []
    for _ in range(3):
        gamma = 1 + rng.choice([-1, 1]) * rng.uniform(0.25, 0.5)
        gain, lift = rng.uniform(0.85, 1.15), rng.uniform(0, 0.12)
        curve = lift + (1 - lift) * np.power(ramp, gamma) * gain
        table.extend(np.clip(curve * 255, 0, 255).astype(int).tolist())
    return tuple(table)


def _strength(data: dict[str, Any]) -> float:
    value = data.get("strength", DEFAULT_STRENGTH)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_STRENGTH
    return min(max(float(value), 0.0), 1.0)


def _source(value: Any) -> Image.Image:
    """The input picture: raw bytes, a data URI, or a URL the emulator may fetch."""
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
    elif isinstance(value, str):
        try:
            data = files.fetch_input(value)
        except files.InputFileError as exc:
            raise InvalidInput(f"could not read the input image: {exc}") from None
    else:
        raise InvalidInput("the input image must be a data URI, a URL or bytes")
    try:
        return load_image(data)
    except MediaError as exc:
        raise InvalidInput(str(exc)) from None


def _image_object(schema: dict[str, Any], picture: Image.Image, fmt: str) -> dict[str, Any]:
    buffer = io.BytesIO()
    if fmt == "png":
        picture.save(buffer, "PNG", compress_level=1)
    else:
        picture.save(buffer, "JPEG", **_JPEG)
    content_type = f"image/{fmt}"
    image: dict[str, Any] = {
        "width": picture.width,
        "height": picture.height,
        "content_type": content_type,
    }
    if raw_images(schema):
        image["content"] = buffer.getvalue()
    else:
        encoded = base64.b64encode(buffer.getvalue()).decode()
        image["url"] = f"data:{content_type};base64,{encoded}"
    return image


def raw_images(schema: dict[str, Any]) -> bool:
    """Whether the schema's images carry bytes (`content`) rather than a `url`."""
    images = (schema.get("properties") or {}).get("images") or {}
    item = images.get("items") or {}
    ref = item.get("$ref", "")
    if ref.startswith("#/$defs/"):
        item = (schema.get("$defs") or {}).get(ref.rsplit("/", 1)[-1]) or {}
    props = item.get("properties") or {}
    return "content" in props and "url" not in props


def _output(
    schema: dict[str, Any],
    data: dict[str, Any],
    view: RequestView,
    seed: int,
    image: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    count = view.num_images()
    known: dict[str, Any] = {
        "images": [image] * count,
        "seed": seed,
        "timings": {"inference": round(seconds, 4)},
        "has_nsfw_concepts": [False] * count,
        "nsfw_content_detected": [False] * count,
        "prompt": view.prompt,
        "num_inference_steps": data.get("num_inference_steps"),
        "request_id": data.get("request_id") or "",
    }
    wanted = (schema.get("properties") or {}).keys() or ("images", "seed")
    return {key: known[key] for key in wanted if known.get(key) is not None}


def _describe(problem: dict[str, Any]) -> str:
    loc = [str(part) for part in problem.get("loc", []) if part != "body"]
    return f"{'.'.join(loc) or 'input'}: {problem.get('msg', 'invalid')}"
