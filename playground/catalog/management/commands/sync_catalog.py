"""`manage.py sync_catalog`: import every model fal lists, with its OpenAPI schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from playground.catalog.importer import ImportReport, import_document
from playground.catalog.models import Source
from playground.catalog.openapi import SchemaDocumentError
from playground.fal.errors import FalConnectionError, FalError, FalHTTPError, FalTimeoutError
from playground.fal.platform import (
    ModelInfo,
    PlatformClient,
    PlatformResponseError,
    platform_client_from_settings,
)

PAGE_SIZE = 50
OFFLINE = (
    "Cannot reach fal's model API ({host}): {error}. "
    "The bundled catalog is still available; run again when online."
)


class Command(BaseCommand):
    help = (
        "Fetch fal's model list (Platform API, with OpenAPI schemas) and import it into the "
        "catalog. Re-running updates endpoints in place and reports what changed."
    )
    # Tests pass `transport` (an httpx transport) and `sleep` through call_command.
    stealth_options = ("transport", "sleep")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, help="stop after this many models")
        parser.add_argument("--category", help="only this fal category, e.g. text-to-image")
        parser.add_argument(
            "--dry-run", action="store_true", help="fetch and compare, but change nothing"
        )

    def handle(
        self, *args: Any, limit: int | None, category: str | None, dry_run: bool, **options: Any
    ) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        self.verbosity = int(options.get("verbosity", 1))
        self.dry_run = dry_run
        self.client_options = {k: options[k] for k in self.stealth_options if k in options}
        report = ImportReport()
        self.sync(report, limit=limit, category=category)
        self.print_report(report)
        if not dry_run:
            self.sync_prices()

    def sync_prices(self) -> None:
        """The prices of what was imported (usage/sync.py); a failure there is reported
        but does not undo the catalog sync."""
        try:
            call_command("sync_prices", stdout=self.stdout, stderr=self.stderr,
                         **self.client_options)  # fmt: skip
        except CommandError as exc:
            self.stderr.write(f"Prices not synced: {exc}")

    def sync(self, report: ImportReport, *, limit: int | None, category: str | None) -> None:
        """Import page by page (each endpoint commits on its own: no long write lock)."""
        page_size = min(PAGE_SIZE, limit or PAGE_SIZE)
        bar = ProgressBar(
            lambda text: self.stderr.write(text, ending=""),
            tty=self.stderr.isatty(),
            total=limit,
            every=page_size,
        )
        fal = platform_client_from_settings(**self.client_options)
        try:
            with fal:
                self.import_pages(fal, report, bar, page_size, limit=limit, category=category)
        except FalError as exc:
            bar.finish()
            self.stopped_early(report)
            raise failure(exc, host=urlsplit(fal.base_url).hostname or "") from None
        bar.finish()

    def import_pages(
        self,
        fal: PlatformClient,
        report: ImportReport,
        bar: ProgressBar,
        page_size: int,
        *,
        limit: int | None,
        category: str | None,
    ) -> None:
        done = 0
        for page in fal.iter_model_pages(limit=page_size, category=category):
            if page.total is not None and limit is None:
                bar.total = page.total
            for number, problem in enumerate(page.malformed, len(report.failed) + 1):
                report.failed[f"malformed entry {number}"] = problem
            for model in page.models[: (limit - done) if limit else None]:
                import_model(model, report, dry_run=self.dry_run)
                done += 1
                bar.update(done, model.endpoint_id)
            if limit is not None and done >= limit:
                return

    def stopped_early(self, report: ImportReport) -> None:
        if report.created or report.updated or report.unchanged:
            self.stderr.write(f"Stopped early; imported so far: {report.summary()}")

    def print_report(self, report: ImportReport) -> None:
        prefix = "Dry run, nothing saved: " if self.dry_run else "Catalog synced from fal: "
        report.write(self, prefix, verbose=self.verbosity >= 1)


def failure(exc: FalError, *, host: str) -> CommandError:
    """A plain-words CommandError for what went wrong talking to fal (no traceback)."""
    if isinstance(exc, FalConnectionError | FalTimeoutError):
        return CommandError(OFFLINE.format(host=host, error=exc))
    if isinstance(exc, PlatformResponseError):
        return CommandError(f"fal's model API answered something unexpected: {exc}")
    if isinstance(exc, FalHTTPError):
        return CommandError(f"fal's model API refused the request: {exc}")
    return CommandError(f"fal's model API failed: {exc}")


def import_model(model: ModelInfo, report: ImportReport, *, dry_run: bool = False) -> None:
    """Import one listed model; a model fal lists without a usable schema counts as failed."""
    if model.openapi is None:
        report.failed[model.endpoint_id] = "no OpenAPI document in fal's listing"
        return
    listing = {
        "title": model.display_name,
        "description": model.description,
        "category": model.category,
        "metadata": {**model.metadata, "tags": list(model.tags)} if model.tags else model.metadata,
    }
    try:
        import_document(
            model.openapi, source=Source.SYNCED, report=report, listing=listing, dry_run=dry_run
        )
    except (SchemaDocumentError, FalError, KeyError, TypeError, ValueError) as exc:
        report.failed[model.endpoint_id] = str(exc) or type(exc).__name__


class ProgressBar:
    """A plain-text bar: redrawn in place on a terminal, one line per page otherwise."""

    WIDTH = 30

    def __init__(
        self, write: Callable[[str], None], *, tty: bool, total: int | None, every: int
    ) -> None:
        self.write = write
        self.tty = tty
        self.total = total
        self.every = every
        self.drawn = False

    def line(self, done: int) -> str:
        if not self.total:
            return f"[{done} models]"
        filled = min(self.WIDTH, self.WIDTH * done // self.total)
        return f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{self.total}"

    def update(self, done: int, label: str = "") -> None:
        if self.tty:
            self.write(f"\r\x1b[2K{self.line(done)} {label}"[:120])
            self.drawn = True
        elif done == self.total or done % self.every == 0:
            # Without a terminal (logs, CI), a line per page keeps the output readable.
            self.write(self.line(done) + "\n")

    def finish(self) -> None:
        if self.drawn:
            self.write("\n")
            self.drawn = False
