"""Runs one emulated model call: defaults, seed, then the media-making output builder."""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import time
from collections.abc import Callable
from typing import Any

from playground.localfal import files
from playground.localfal.engine import EmuRequest, Failure
from playground.usage import units

log = logging.getLogger(__name__)


def with_defaults(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Top-level schema defaults filled in, as fal's pydantic models do."""
    filled = dict(data)
    for name, prop in (schema.get("properties") or {}).items():
        if name not in filled and isinstance(prop, dict) and "default" in prop:
            filled[name] = prop["default"]
    return filled


def resolve_seed(data: dict[str, Any]) -> int:
    """The input's seed, or one derived from the input so reruns are reproducible."""
    seed = data.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def run_app(request: EmuRequest, log_line: Callable[[str], None]) -> Any:
    """Output JSON for the request, or a Failure; runs on an executor thread."""
    from playground.localfal.media import InputTooLarge, MediaError
    from playground.localfal.outputs import InputFileError as OutputInputError
    from playground.localfal.outputs import OutputContext, build_output

    def store_file(data: bytes, content_type: str, file_name: str) -> str:
        if "." not in file_name:
            file_name += mimetypes.guess_extension(content_type or "") or ".bin"
        key, name = files.save(data, file_name)
        return files.public_url(request.base_url, key, name)

    def fetch_file(url: str) -> bytes:
        try:
            return files.fetch_input(url)
        except files.InputFileError as exc:
            raise OutputInputError(str(exc)) from exc

    context = OutputContext(
        endpoint_id=request.endpoint_id,
        category=request.category,
        input=request.input,
        seed=resolve_seed(request.input),
        store_file=store_file,
        fetch_file=fetch_file,
        log=log_line,
    )
    started = time.monotonic()
    try:
        output = build_output(request.output_schema, context)
        request.billable_units = billable_units(request, context.made, time.monotonic() - started)
        return output
    except (OutputInputError, files.InputFileError) as exc:
        return _input_failure(str(exc))
    except InputTooLarge as exc:
        return _input_failure(str(exc), "image_too_large")  # fal's type for this
    except MediaError as exc:
        return _input_failure(str(exc))


def billable_units(request: EmuRequest, made: list[Any], seconds: float) -> float | None:
    """fal's x-fal-billable-units for what was made, in the endpoint's pricing unit."""
    if not request.pricing_unit:
        return None
    facts = units.Made(
        images=[(m.width, m.height) for m in made if _is(m, "image") and m.width and m.height],
        video_seconds=[m.seconds or 0.0 for m in made if _is(m, "video")],
        audio_seconds=[m.seconds or 0.0 for m in made if _is(m, "audio")],
        compute_seconds=round(seconds, 3),
    )
    return units.measure(request.pricing_unit, request.input, facts)


def _is(made: Any, kind: str) -> bool:
    return str(made.content_type).startswith(f"{kind}/")


def _input_failure(message: str, error_type: str = "file_download_error") -> Failure:
    detail = [{"loc": ["body"], "msg": message, "type": error_type}]
    return Failure(message, error_type, 422, {"detail": detail})
