"""Import fal OpenAPI documents into the catalog; re-imports update rows in place."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from playground.catalog.modes import modes_for
from playground.catalog.openapi import SchemaDocumentError, parse_document

BUNDLED_DIR = Path(__file__).resolve().parent / "schemas"
TRACKED_FIELDS = ("title", "category", "description", "input_schema", "output_schema", "modes")
log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"
        )


def document_paths(paths: list[Path]) -> list[Path]:
    """Expand folders into the JSON files they hold, sorted for stable reports."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def import_paths(paths: list[Path], *, source: str) -> ImportReport:
    report = ImportReport()
    for path in document_paths(paths):
        try:
            doc = json.loads(path.read_text())
            import_document(doc, source=source, report=report)
        except (OSError, json.JSONDecodeError, SchemaDocumentError) as exc:
            report.failed[str(path)] = str(exc)
    return report


@transaction.atomic
def import_document(doc: dict[str, Any], *, source: str, report: ImportReport) -> None:
    from playground.catalog.models import Endpoint

    parsed = parse_document(doc)
    values = {
        "title": parsed.title,
        "category": parsed.category,
        "description": parsed.description,
        "input_schema": parsed.input_schema,
        "output_schema": parsed.output_schema,
        "modes": modes_for(parsed.endpoint_id, parsed.input_schema, parsed.metadata),
    }
    endpoint = Endpoint.objects.filter(endpoint_id=parsed.endpoint_id).first()
    if endpoint is None:
        Endpoint.objects.create(
            endpoint_id=parsed.endpoint_id,
            schema_sha=parsed.schema_sha,
            metadata=parsed.metadata,
            source=source,
            **values,
        )
        report.created.append(parsed.endpoint_id)
        return
    changed = [name for name in TRACKED_FIELDS if getattr(endpoint, name) != values[name]]
    if not changed:
        report.unchanged.append(parsed.endpoint_id)
        return
    for name in changed:
        setattr(endpoint, name, values[name])
    endpoint.schema_sha = parsed.schema_sha
    endpoint.metadata = parsed.metadata
    endpoint.save()
    report.updated[parsed.endpoint_id] = changed


def import_bundled() -> ImportReport:
    return import_paths([BUNDLED_DIR], source="bundled")


def load_bundled_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    report = import_bundled()
    if report.created or report.updated or report.failed:
        log.info("bundled catalog: %s", report.summary())
