"""Values for single fields: by name (`propose`) and, failing that, by schema (`placeholder`)."""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playground.localfal.outputs.makers import kind_for_name
from playground.localfal.outputs.schema import Node, primary_type

if TYPE_CHECKING:
    from playground.localfal.outputs.builder import OutputBuilder

MISSING: Any = object()  # "no opinion": the caller falls back to the schema's own shape
Filler = Callable[["OutputBuilder", Node, int], Any]


def knows(name: str) -> bool:
    return name in _FILLERS


def propose(builder: OutputBuilder, node: Node, name: str, depth: int) -> Any:
    filler = _FILLERS.get(name)
    return filler(builder, node, depth) if filler else MISSING


def fit(builder: OutputBuilder, value: Any, node: Any) -> Any:
    """`value` if the schema accepts it (integers rounded when floats won't do), else MISSING."""
    if value is MISSING:
        return MISSING
    if builder.tree.is_valid(value, node):
        return value
    if isinstance(value, float) and builder.tree.is_valid(round(value), node):
        return round(value)
    return MISSING


# -- by name ------------------------------------------------------------------------------
def _seed(b: OutputBuilder, node: Node, depth: int) -> Any:
    kind = primary_type(node)
    if kind in ("integer", "number"):
        return fit_number(b.ctx.seed, node, integer=kind == "integer")
    return str(b.ctx.seed) if kind == "string" else MISSING


def _prompt(b: OutputBuilder, node: Node, depth: int) -> Any:
    return b.request.text("prompt")


def _timings(b: OutputBuilder, node: Node, depth: int) -> Any:
    return {"inference": round(time.monotonic() - b.started, 3)}


def _nsfw_flags(b: OutputBuilder, node: Node, depth: int) -> Any:
    count = len(b.files.made("image")) or b.request.num_images()
    return [False] * count


def _text(b: OutputBuilder, node: Node, depth: int) -> Any:
    return b.texts.main


def _chunks(b: OutputBuilder, node: Node, depth: int) -> Any:
    items = b.tree.resolve(node.get("items"))
    return [b.value(items, "chunk", depth + 1)] if items else MISSING


def _timestamp(b: OutputBuilder, node: Node, depth: int) -> Any:
    return [0.0, b.texts.audio_seconds or media_seconds(b)]


def _language(b: OutputBuilder, node: Node, depth: int) -> Any:
    candidates = [b.request.data.get("language"), "en", "english", "English"]
    return next((c for c in candidates if c and b.tree.is_valid(c, node)), MISSING)


def _languages(b: OutputBuilder, node: Node, depth: int) -> Any:
    language = _language(b, b.tree.resolve(node.get("items")), depth)
    return [language] if language is not MISSING else MISSING


def _duration(b: OutputBuilder, node: Node, depth: int) -> Any:
    return media_seconds(b)


def _duration_ms(b: OutputBuilder, node: Node, depth: int) -> Any:
    return round(media_seconds(b) * 1000)


def _width(b: OutputBuilder, node: Node, depth: int) -> Any:
    return _first_size(b)[0]


def _height(b: OutputBuilder, node: Node, depth: int) -> Any:
    return _first_size(b)[1]


def _voice_id(b: OutputBuilder, node: Node, depth: int) -> Any:
    digest = hashlib.sha256(f"{b.ctx.endpoint_id}:{b.ctx.seed}".encode()).hexdigest()
    return f"local-voice-{digest[:12]}"


def _tokens(which: str) -> Filler:
    return lambda b, node, depth: b.texts.tokens(which)


def _zero_cost(b: OutputBuilder, node: Node, depth: int) -> Any:
    return 0  # nothing was billed: no model ran


_FILLERS: dict[str, Filler] = {
    "seed": _seed,
    "prompt": _prompt,
    "timings": _timings,
    "has_nsfw_concepts": _nsfw_flags,
    "nsfw_content_detected": _nsfw_flags,
    **dict.fromkeys(
        ("text", "output", "transcription", "description", "caption", "response", "answer"),
        _text,
    ),
    "generated_text": _text,
    "chunks": _chunks,
    "segments": _chunks,
    "timestamp": _timestamp,
    "language": _language,
    "languages": _languages,
    "duration": _duration,
    "duration_ms": _duration_ms,
    "width": _width,
    "height": _height,
    "custom_voice_id": _voice_id,
    "voice_id": _voice_id,
    "prompt_tokens": _tokens("prompt"),
    "completion_tokens": _tokens("completion"),
    "total_tokens": _tokens("total"),
    "cost": _zero_cost,
}


def media_seconds(b: OutputBuilder) -> float:
    """How long the clip or sound made for this output lasts (or the requested length)."""
    made = [m for kind in ("video", "audio") for m in b.files.made(kind) if m.seconds]
    if made:
        return made[0].seconds or 0.0
    return b.request.video_seconds() or b.request.audio_seconds()


def _first_size(b: OutputBuilder) -> tuple[int, int]:
    made = [m for kind in ("image", "video") for m in b.files.made(kind) if m.width]
    if made and made[0].width and made[0].height:
        return made[0].width, made[0].height
    return b.request.generation_size()


# -- by schema ----------------------------------------------------------------------------
def placeholder(b: OutputBuilder, node: Node, name: str, index: int = 0) -> Any:
    """A schema-valid value for a field whose name means nothing to us."""
    if name in b.request.data and not _is_url_name(name):
        echoed = b.request.data[name]  # e.g. num_inference_steps: what the request used
        if b.tree.is_valid(echoed, node):
            return echoed
    if "default" in node and b.tree.is_valid(node["default"], node):
        return node["default"]
    if node.get("enum"):
        return node["enum"][0]
    kind = primary_type(node)
    if kind == "string":
        return _string(b, node, name, index)
    if kind == "integer":
        return fit_number(0, node, integer=True)
    if kind == "number":
        # Not 0: JSON Schema counts 0.0 as an integer, which breaks oneOf[integer, number].
        return fit_number(0.5, node, integer=False)
    return {"boolean": False, "object": {}, "array": []}.get(kind or "")


def _is_url_name(name: str) -> bool:
    return name.endswith(("url", "urls", "uri"))


def _string(b: OutputBuilder, node: Node, name: str, index: int) -> str:
    fmt = node.get("format")
    if _is_url_name(name) or fmt in ("uri", "url", "iri", "uri-reference"):
        kind = kind_for_name(name) or b.files.default_kind()
        return b.files.url(b.files.make(kind, index))
    digest = hashlib.sha256(f"{b.ctx.endpoint_id}:{b.ctx.seed}:{name}".encode()).digest()
    formatted = {
        "date-time": "2000-01-01T00:00:00Z",
        "date": "2000-01-01",
        "time": "00:00:00Z",
        "email": "emulator@example.com",
        "uuid": str(uuid.UUID(bytes=digest[:16], version=4)),
        "uuid4": str(uuid.UUID(bytes=digest[:16], version=4)),
    }.get(str(fmt), "")
    minimum, maximum = int(node.get("minLength") or 0), node.get("maxLength")
    text = formatted or ("local" * math.ceil(minimum / 5))[: max(minimum, 0)]
    return text[: int(maximum)] if maximum is not None else text


def fit_number(value: float, node: Node, integer: bool) -> int | float:
    """`value` moved inside the node's bounds (and onto its multipleOf grid)."""
    low, high = _bounds(node, integer)
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    step = node.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
        if high is not None and value > high:
            value -= step
    return math.ceil(value) if integer else float(value)


def _bounds(node: Node, integer: bool) -> tuple[float | None, float | None]:
    low, high = node.get("minimum"), node.get("maximum")
    above, below = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    nudge = 1 if integer else 1e-6
    if isinstance(above, int | float) and not isinstance(above, bool):
        low = max(low, above + nudge) if low is not None else above + nudge
    if isinstance(below, int | float) and not isinstance(below, bool):
        high = min(high, below - nudge) if high is not None else below - nudge
    if integer:
        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
    return low, high
