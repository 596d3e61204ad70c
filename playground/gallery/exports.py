"""What leaves the gallery as files: a JSON sidecar of every generation, PNGs that carry
their parameters, and zips of many generations with their metadata."""

from __future__ import annotations

import io
import json
import logging
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


def png_with_parameters(asset: MediaAsset) -> bytes | None:
    """The stored PNG re-saved with the generation's input in a `parameters` text chunk,
    pixels untouched; None when the file is not a readable PNG (served as stored)."""
    from PIL import PngImagePlugin, UnidentifiedImageError

    info = PngImagePlugin.PngInfo()
    # With the seed that made it, so the parameters reproduce the picture.
    parameters = seeds.input_with_used_seed(asset.generation)
    info.add_text(PNG_KEY, json.dumps(parameters, ensure_ascii=False))
    info.add_text("generation", str(asset.generation.code))
    info.add_text("model", asset.generation.endpoint_id)
    try:
        with asset.file.open("rb") as stored, open_image(stored) as image:
            if image.format != "PNG":
                return None
            for key, value in image.info.items():
                if isinstance(value, str) and key not in (PNG_KEY, "generation", "model"):
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
        entries.append((f"{folder}/{PurePosixPath(asset.file.name).name}", asset))
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
