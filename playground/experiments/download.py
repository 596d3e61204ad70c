"""An experiment as one download: a contact sheet (sheet.py), every file its runs made and
a metadata JSON, streamed as a zip (export.py). The database is read here, in the request;
the stream only reads files, one chunk at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from playground.experiments.export import ExportFile, stream_export_zip
from playground.experiments.grid import axis_labels, runs_of
from playground.experiments.models import Experiment, cell_key
from playground.experiments.sheet import SheetCell, render_contact_sheet
from playground.jobs.models import Generation, MediaAsset, Status
from playground.jobs.seeds import seed_of
from playground.lib.serving import in_thread
from playground.storage.files import StoredFile


@dataclass(frozen=True)
class SheetAxis:
    label: str
    value_labels: tuple[str, ...]


def export_response(experiment: Experiment) -> StreamingHttpResponse:
    """The zip; raises sheet.SheetTooLarge (a ValueError) before anything is sent."""
    runs = runs_of(experiment)
    axes = [
        SheetAxis(axis["label"], tuple(label.full for label in axis_labels(axis)))
        for axis in experiment.axes
    ]
    cells = [
        _sheet_cell(tuple(c["coords"]), runs.get(cell_key(c["coords"]))) for c in experiment.cells
    ]
    sheet = render_contact_sheet(title=_title(experiment), axes=axes, cells=cells)
    chunks = stream_export_zip(
        sheet_png=sheet, files=_files(experiment, axes, runs), metadata=_metadata(experiment, runs)
    )
    response = StreamingHttpResponse(in_thread(chunks), content_type="application/zip")
    name = f"experiment-{_slug(experiment.endpoint_id)}-{str(experiment.code)[:8]}.zip"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _title(experiment: Experiment) -> str:
    return f"{experiment.title or experiment.kind.capitalize()} · {experiment.endpoint_id}"


def _sheet_cell(coords: tuple[int, ...], generation: Generation | None) -> SheetCell:
    if generation is None:
        return SheetCell(coords, None, "not run")
    asset = _first(generation)
    picture = _picture(asset) if generation.status == Status.COMPLETED else None
    return SheetCell(coords, picture, _caption(generation))


def _first(generation: Generation) -> MediaAsset | None:
    assets = list(generation.assets.all())  # prefetched by runs_of
    return assets[0] if assets else None


def _picture(asset: MediaAsset | None) -> StoredFile | None:
    """A picture of the asset: its thumbnail (a video's poster), or the image."""
    if asset is None:
        return None
    field = asset.thumbnail or (asset.file if asset.kind == "image" else None)
    return _stored(field)


def _stored(field: Any) -> StoredFile | None:
    """The field's file, to be opened (from disk or a bucket) when the zip reaches it."""
    return StoredFile(field.name) if field else None


def _caption(generation: Generation) -> str:
    if generation.status != Status.COMPLETED:
        return generation.get_status_display().lower()
    parts = []
    if generation.elapsed_seconds is not None:
        parts.append(f"{generation.elapsed_seconds:.1f} s")
    if generation.cost is not None:
        parts.append(f"${generation.cost:.4f}".rstrip("0").rstrip("."))
    return " · ".join(parts)


def _files(
    experiment: Experiment, axes: list[SheetAxis], runs: dict[str, Generation]
) -> list[ExportFile]:
    found = []
    for planned in experiment.cells:
        generation = runs.get(cell_key(planned["coords"]))
        if generation is None:
            continue
        prefix = _cell_name(axes, planned["coords"])
        for asset in generation.assets.all():
            stored = _stored(asset.file)
            if stored is not None:
                name = PurePosixPath(asset.file.name).name
                found.append(ExportFile(f"files/{prefix}_{name}", stored))
    return found


def _cell_name(axes: list[SheetAxis], coords: list[int]) -> str:
    """ "guidance-3.5_steps-8": each axis's label and value, safe in a file name."""
    parts = []
    for axis, index in zip(axes, coords, strict=False):
        value = axis.value_labels[index] if index < len(axis.value_labels) else str(index)
        parts.append(f"{_slug(axis.label)[:16]}-{_slug(value)[:24]}")
    return "_".join(parts)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower() or "x"


def _metadata(experiment: Experiment, runs: dict[str, Generation]) -> dict[str, Any]:
    cells = []
    for planned in experiment.cells:
        generation = runs.get(cell_key(planned["coords"]))
        cells.append({
            "coords": planned["coords"],
            "generation": str(generation.code) if generation else None,
            "status": generation.status if generation else "not run",
            "input": generation.input if generation else planned.get("input"),
            "seed": seed_of(generation) if generation else None,
            "cost": generation.cost if generation else None,
            "seconds": generation.elapsed_seconds if generation else None,
        })  # fmt: skip
    return {
        "experiment": str(experiment.code),
        "title": experiment.title,
        "model": experiment.endpoint_id,
        "kind": experiment.kind,
        "spec": experiment.spec,
        "base_input": experiment.base_input,
        "axes": experiment.axes,
        "notes": experiment.notes,
        "created": experiment.created,
        "cells": cells,
    }
