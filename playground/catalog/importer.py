"""Import fal OpenAPI documents into the catalog; re-imports update rows in place."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

from playground.catalog.categories import GROUP_WORDS, group_for, label_for
from playground.catalog.modes import modes_for
from playground.catalog.openapi import ParsedEndpoint, SchemaDocumentError, parse_document
from playground.lib.schemaguard import vet_schema

BUNDLED_DIR = Path(__file__).resolve().parent / "schemas"
# fal's model list for the bundled schemas (title, one-line description, category): the
# documents alone carry only an id and a coarse category.
BUNDLED_LISTING = Path(__file__).resolve().parent / "bundled_models.json"
TRACKED_FIELDS = (
    "title",
    "category",
    "group",
    "description",
    "search_text",
    "input_schema",
    "output_schema",
    "modes",
)
log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # Imported, with something left out: e.g. a `pattern` that could hang validation.
    notes: dict[str, list[str]] = field(default_factory=dict)

    def write(self, command: Any, heading: str, *, verbose: bool = True) -> None:
        """Print what changed to a management command's streams; CommandError when nothing
        could be imported at all."""
        from django.core.management.base import CommandError

        if verbose:
            for endpoint_id in self.created:
                command.stdout.write(f"  + {endpoint_id}")
            for endpoint_id, fields in self.updated.items():
                command.stdout.write(f"  ~ {endpoint_id} ({', '.join(fields)})")
        for name, error in self.failed.items():
            command.stderr.write(f"  ! {name}: {error}")
        for endpoint_id, notes in self.notes.items():
            for note in notes:
                command.stderr.write(f"  ? {endpoint_id}: {note}")
        command.stdout.write(command.style.SUCCESS(f"{heading}{self.summary()}"))
        if self.failed and not (self.created or self.updated or self.unchanged):
            raise CommandError("Nothing could be imported.")

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


@cache
def bundled_listing() -> dict[str, dict[str, str]]:
    """Endpoint id -> {"title", "description", "category"} for the bundled models."""
    return json.loads(BUNDLED_LISTING.read_text())


def import_paths(paths: list[Path], *, source: str) -> ImportReport:
    report = ImportReport()
    # A bundled model's document imported from a file still gets its listing.
    listings = bundled_listing()
    for path in document_paths(paths):
        try:
            doc = json.loads(path.read_text())
            listing = listings.get(_document_endpoint_id(doc))
            import_document(doc, source=source, report=report, listing=listing)
        except (OSError, json.JSONDecodeError, SchemaDocumentError) as exc:
            report.failed[str(path)] = str(exc)
    return report


def _document_endpoint_id(doc: Any) -> str:
    """The id a document declares, or "" (parse_document reports what is wrong)."""
    node = doc
    for key in ("info", "x-fal-metadata", "endpointId"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""


@transaction.atomic
def import_document(
    doc: dict[str, Any],
    *,
    source: str,
    report: ImportReport,
    listing: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> None:
    """Create or update one endpoint from its OpenAPI document.

    `listing` carries what fal's model list says beside the document (title, description,
    category, tags); it wins over what the document implies. A bundled snapshot never
    overwrites an endpoint synced from fal, which is newer. `dry_run` reports the same
    outcome without writing.
    """
    from playground.catalog.models import Endpoint, Source

    parsed = parse_document(doc)
    _vet_patterns(parsed, report)
    listing = listing or {}
    metadata = {**parsed.metadata, **(listing.get("metadata") or {})}
    values = endpoint_values(parsed, metadata, listing, doc)
    endpoint = Endpoint.objects.filter(endpoint_id=parsed.endpoint_id).first()
    if endpoint is None:
        report.created.append(parsed.endpoint_id)
        if not dry_run:
            Endpoint.objects.create(
                endpoint_id=parsed.endpoint_id,
                schema_sha=parsed.schema_sha,
                metadata=metadata,
                source=source,
                **values,
            )
        return
    changed = [name for name in TRACKED_FIELDS if getattr(endpoint, name) != values[name]]
    if not changed or (source == Source.BUNDLED and endpoint.source == Source.SYNCED):
        report.unchanged.append(parsed.endpoint_id)
        return
    report.updated[parsed.endpoint_id] = changed
    if not dry_run:
        for name in changed:
            setattr(endpoint, name, values[name])
        endpoint.schema_sha = parsed.schema_sha
        endpoint.metadata = metadata
        endpoint.source = source
        endpoint.save()


def _vet_patterns(parsed: ParsedEndpoint, report: ImportReport) -> None:
    """Drop the schemas' patterns that could hang validation or do not compile; the
    report (and the log) say which."""
    parsed.input_schema, input_notes = vet_schema(parsed.input_schema)
    parsed.output_schema, output_notes = vet_schema(parsed.output_schema)
    notes = [f"input {note}" for note in input_notes]
    notes += [f"output {note}" for note in output_notes]
    if notes:
        report.notes[parsed.endpoint_id] = notes
        log.warning("import of %s: %s", parsed.endpoint_id, "; ".join(notes))


def endpoint_values(
    parsed: Any, metadata: dict[str, Any], listing: Mapping[str, Any], doc: dict[str, Any]
) -> dict[str, Any]:
    title = str(listing.get("title") or parsed.title)
    description = str(listing.get("description") or parsed.description)
    category = str(listing.get("category") or parsed.category)
    group = group_for(parsed.endpoint_id, category)
    paths = list((doc.get("paths") or {}).keys())
    return {
        "title": title,
        "category": category,
        "group": group,
        "description": description,
        "search_text": search_text_for(
            parsed.endpoint_id, title, description, category, group, metadata.get("tags")
        ),
        "input_schema": parsed.input_schema,
        "output_schema": parsed.output_schema,
        "modes": modes_for(parsed.endpoint_id, parsed.input_schema, metadata, paths=paths),
    }


def search_text_for(
    endpoint_id: str,
    title: str,
    description: str,
    category: str,
    group: str,
    tags: Any = None,
) -> str:
    """What catalog search matches, lowercased once here so queries need no LOWER()."""
    words = [
        endpoint_id,
        title,
        description,
        category,
        category.replace("-", " "),
        label_for(group),
        GROUP_WORDS.get(group, ""),
    ]
    if isinstance(tags, list):
        words.extend(str(tag) for tag in tags)
    return "\n".join(word for word in words if word).lower()


def import_bundled() -> ImportReport:
    return import_paths([BUNDLED_DIR], source="bundled")


def load_bundled_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    report = import_bundled()
    if report.created or report.updated or report.failed:
        log.info("bundled catalog: %s", report.summary())
