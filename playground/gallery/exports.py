"""What leaves the gallery as files: a JSON sidecar of every generation, PNGs that carry
their parameters, and zips of many generations with their metadata."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import PurePosixPath
from typing import Any

from django.http import FileResponse, HttpResponse

from playground.jobs.models import Generation, MediaAsset

log = logging.getLogger(__name__)
PNG_KEY = "parameters"  # the tEXt key A1111-style tools read parameters from
ZIP_LIMIT = 200


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
    output = generation.output if isinstance(generation.output, dict) else {}
    inputs = generation.input if isinstance(generation.input, dict) else {}
    return output.get("seed", inputs.get("seed"))


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
    from PIL import Image, PngImagePlugin, UnidentifiedImageError

    info = PngImagePlugin.PngInfo()
    info.add_text(PNG_KEY, json.dumps(asset.generation.input, ensure_ascii=False))
    info.add_text("generation", str(asset.generation.code))
    info.add_text("model", asset.generation.endpoint_id)
    try:
        with asset.file.open("rb") as stored, Image.open(stored) as image:
            if image.format != "PNG":
                return None
            for key, value in image.info.items():
                if isinstance(value, str) and key not in (PNG_KEY, "generation", "model"):
                    info.add_text(key, value)
            out = io.BytesIO()
            image.save(out, format="PNG", pnginfo=info)
            return out.getvalue()
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


def zip_response(generations: list[Generation]) -> FileResponse:
    """One folder per generation: its files (PNGs with parameters) and metadata.json.
    Built in a temporary file, so big exports do not sit in memory."""
    import tempfile

    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for generation in generations:
            folder = f"{generation.created:%Y-%m-%d}-{generation.code}"
            data = json.dumps(metadata(generation), indent=2, ensure_ascii=False, default=str)
            archive.writestr(f"{folder}/metadata.json", data)
            for asset in generation.assets.all():
                name = PurePosixPath(asset.file.name).name
                try:
                    archive.writestr(f"{folder}/{name}", download_bytes(asset))
                except OSError:
                    log.warning("missing file %s left out of a zip", asset.file.name)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename="generations.zip", content_type="application/zip"
    )
