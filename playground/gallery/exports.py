"""What leaves the gallery as files: a JSON sidecar of every generation, PNGs that carry
their parameters, and zips of many generations with their metadata."""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from playground.jobs import seeds
from playground.jobs.models import Generation, MediaAsset
from playground.lib.images import ImageTooLarge, open_image
from playground.lib.serving import in_thread

log = logging.getLogger(__name__)
PNG_KEY = "parameters"  # the tEXt key A1111-style tools read parameters from
INPUT_KEY = "input"  # the whole input as JSON: this app restores every field from it
OUR_KEYS = (PNG_KEY, INPUT_KEY, "generation", "model")
NAME_WORDS = 6
NAME_PROMPT_CHARS = 48
NAME_MAX_CHARS = 120
_NAME_UNSAFE = re.compile(r"[^a-z0-9]+")
# A1111's names for the inputs fal models call otherwise, first match wins.
STEPS_KEYS = ("num_inference_steps", "steps", "num_steps")
GUIDANCE_KEYS = ("guidance_scale", "cfg_scale", "guidance", "cfg")
SAMPLER_KEYS = ("sampler", "sampler_name", "scheduler")
NEGATIVE_KEYS = ("negative_prompt",)
ZIP_LIMIT = 200
ZIP_CHUNK_BYTES = 256 * 1024


def metadata(generation: Generation) -> dict[str, Any]:
    """Everything known about a generation except its owner's private notes on others."""
    return {
        "code": str(generation.code),
        "endpoint_id": generation.endpoint_id,
        "model_title": generation.model.title if generation.model else None,
        "mode": generation.mode,
        "status": generation.status,
        "input": generation.input,
        "output": generation.output,
        "error": generation.error,
        "metrics": generation.metrics,
        # What fal billed and what it cost, in US dollars (a string: exact).
        "billable_units": generation.billable_units,
        "cost_usd": f"{generation.cost.normalize():f}" if generation.cost is not None else None,
        "seed": seed_of(generation),
        "tags": generation.tags,
        "notes": generation.notes,
        "favorite": generation.favorite,
        "visibility": generation.visibility,
        "team": generation.team.slug if generation.team_id else None,
        "created": _iso(generation.created),
        "started": _iso(generation.started),
        "finished": _iso(generation.finished),
        "files": [
            {
                "name": PurePosixPath(asset.file.name).name,
                "kind": asset.kind,
                "content_type": asset.content_type,
                "width": asset.width,
                "height": asset.height,
                "duration": asset.duration,
                "bytes": asset.bytes,
                "sha256": asset.sha256,
                "source_url": asset.source_url,
            }
            for asset in generation.assets.all()
        ],
    }


def seed_of(generation: Generation) -> Any:
    return seeds.seed_of(generation)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def sidecar_response(generation: Generation) -> HttpResponse:
    body = json.dumps(metadata(generation), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{generation.code}.json"'
    return response


def download_name(generation: Generation, asset: MediaAsset) -> str:
    """A file name that says what it is: `flux-dev_a-lighthouse-at-dusk_seed1234.png`
    (model, the prompt's first words, the seed; `_2`... for a run's later files). ASCII
    letters, digits, `-` and `_` only, at most NAME_MAX_CHARS."""
    parts = [_slug(model_slug(generation.endpoint_id))[:40] or "output"]
    data = generation.input if isinstance(generation.input, dict) else {}
    prompt = data.get("prompt")
    if isinstance(prompt, str):
        words = _slug(" ".join(prompt.split()[:NAME_WORDS]))[:NAME_PROMPT_CHARS].strip("-")
        if words:
            parts.append(words)
    seed = seed_of(generation)
    if isinstance(seed, int) and not isinstance(seed, bool):
        parts.append(f"seed{seed}")
    if asset.position:
        parts.append(str(asset.position + 1))
    extension = PurePosixPath(asset.file.name).suffix.lower()
    extension = extension if re.fullmatch(r"\.[a-z0-9]{1,8}", extension) else ""
    return "_".join(parts)[: NAME_MAX_CHARS - len(extension)] + extension


def model_slug(endpoint_id: str) -> str:
    """`fal-ai/flux/dev` -> `flux-dev`: the owner is the same for most models."""
    pieces = [p for p in endpoint_id.split("/") if p]
    return "-".join(pieces[1:] if len(pieces) > 1 else pieces)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NAME_UNSAFE.sub("-", ascii_text.lower()).strip("-")


def a1111_parameters(generation: Generation, size: tuple[int, int] | None = None) -> str:
    """The input in AUTOMATIC1111's `parameters` text, which other tools read: the prompt,
    `Negative prompt: ...`, then `Steps: 28, Sampler: ..., CFG scale: 3.5, Seed: 1234,
    Size: 1024x1024, Model: fal-ai/flux/dev` (each only when known)."""
    data = generation.input if isinstance(generation.input, dict) else {}
    prompt = data.get("prompt") if isinstance(data.get("prompt"), str) else ""
    lines = [prompt]
    negative = _first(data, NEGATIVE_KEYS)
    if isinstance(negative, str) and negative:
        lines.append(f"Negative prompt: {negative}")
    fields: list[tuple[str, Any]] = [
        ("Steps", _first(data, STEPS_KEYS)),
        ("Sampler", _first(data, SAMPLER_KEYS)),
        ("CFG scale", _first(data, GUIDANCE_KEYS)),
        ("Seed", seed_of(generation)),
        ("Size", f"{size[0]}x{size[1]}" if size else None),
        ("Model", generation.endpoint_id),
    ]
    shown = [f"{name}: {_a1111_value(value)}" for name, value in fields if _usable(value)]
    if shown:
        lines.append(", ".join(shown))
    return "\n".join(lines)


def _first(data: dict, keys: tuple[str, ...]) -> Any:
    return next((data[key] for key in keys if key in data), None)


def _usable(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""


def _a1111_value(value: Any) -> str:
    """A1111 quotes (as JSON) a value that holds its separators."""
    text = str(value)
    return json.dumps(text) if any(c in text for c in ",:\n") else text


def png_with_parameters(asset: MediaAsset) -> bytes | None:
    """The stored PNG re-saved with its parameters in text chunks (A1111's `parameters`,
    and the whole input as JSON under `input`), pixels untouched; None when the file is
    not a readable PNG (served as stored). The pixel limit of open_image bounds memory."""
    from PIL import PngImagePlugin, UnidentifiedImageError

    generation = asset.generation
    info = PngImagePlugin.PngInfo()
    # With the seed that made it, so the input reproduces the picture.
    used = seeds.input_with_used_seed(generation)
    info.add_text(INPUT_KEY, json.dumps(used, ensure_ascii=False))
    info.add_text("generation", str(generation.code))
    info.add_text("model", generation.endpoint_id)
    try:
        with asset.file.open("rb") as stored, open_image(stored) as image:
            if image.format != "PNG":
                return None
            # tEXt as A1111 writes it (Pillow uses iTXt when the text is not Latin-1).
            info.add_text(PNG_KEY, a1111_parameters(generation, image.size))
            for key, value in image.info.items():
                if isinstance(value, str) and key not in OUR_KEYS:
                    info.add_text(key, value)
            out = io.BytesIO()
            image.save(out, format="PNG", pnginfo=info)
            return out.getvalue()
    except ImageTooLarge:
        return None  # never decoded: the file goes out as the model made it
    except (OSError, UnidentifiedImageError, ValueError):
        log.warning("could not add parameters to %s", asset.file.name, exc_info=True)
        return None


def download_bytes(asset: MediaAsset) -> bytes:
    if asset.content_type == "image/png":
        tagged = png_with_parameters(asset)
        if tagged is not None:
            return tagged
    with asset.file.open("rb") as stored:
        return stored.read()


def zip_too_large(generations: list[Generation]) -> str:
    """Why these generations cannot be zipped (over EXPORT_MAX_BYTES), or ""."""
    total = sum(asset.bytes or 0 for g in generations for asset in g.assets.all())
    limit = settings.EXPORT_MAX_BYTES
    if total <= limit:
        return ""
    return (
        f"These {len(generations)} generations hold {_megabytes(total)} of files, more than "
        f"one download may ({_megabytes(limit)}). Select fewer and download them in parts."
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def zip_response(generations: list[Generation]) -> StreamingHttpResponse:
    """One folder per generation: its files (PNGs with parameters) and metadata.json.

    Streamed as it is written, one file at a time (check `zip_too_large` first): nothing
    but the file being added is held in memory, and nothing waits on disk."""
    entries = [entry for generation in generations for entry in _zip_entries(generation)]
    response = StreamingHttpResponse(
        in_thread(_zip_chunks(entries)), content_type="application/zip"
    )
    response["Content-Disposition"] = content_disposition_header(True, "generations.zip")
    return response


def _zip_entries(generation: Generation) -> list[tuple[str, bytes | MediaAsset]]:
    """(name in the zip, content) of a generation; the database is read here, in the
    request, so the stream only reads files."""
    folder = f"{generation.created:%Y-%m-%d}-{generation.code}"
    data = json.dumps(metadata(generation), indent=2, ensure_ascii=False, default=str)
    entries: list[tuple[str, bytes | MediaAsset]] = [(f"{folder}/metadata.json", data.encode())]
    for asset in generation.assets.all():
        entries.append((f"{folder}/{download_name(generation, asset)}", asset))
    return entries


def _zip_chunks(entries: list[tuple[str, bytes | MediaAsset]]) -> Iterator[bytes]:
    """The zip, in pieces of about ZIP_CHUNK_BYTES, as it is written (zipfile writes to a
    stream it cannot seek with data descriptors after each file)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            chunks = _content_chunks(content)
            try:
                first = next(chunks, b"")
            except OSError:
                log.warning("missing file %s left out of a zip", name)
                continue
            with archive.open(name, "w", force_zip64=True) as out:
                out.write(first)
                for chunk in chunks:
                    out.write(chunk)
                    yield from sink.drain(ZIP_CHUNK_BYTES)
            yield from sink.drain(ZIP_CHUNK_BYTES)
    yield from sink.drain(0)


def _content_chunks(content: bytes | MediaAsset) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    if content.content_type == "image/png":
        yield download_bytes(content)  # re-encoded with its parameters: one file at a time
        return
    with content.file.open("rb") as stored:
        while chunk := stored.read(ZIP_CHUNK_BYTES):
            yield chunk


class _Sink:
    """A write-only stream the zip is written into and taken out of in pieces."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self._size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self, at_least: int) -> Iterator[bytes]:
        if self._size and self._size >= at_least:
            yield b"".join(self._pieces)
            self._pieces, self._size = [], 0
