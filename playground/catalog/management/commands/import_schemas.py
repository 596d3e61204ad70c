from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from playground.catalog.importer import BUNDLED_DIR, import_paths


class Command(BaseCommand):
    help = "Import fal OpenAPI documents (files or folders) into the model catalog."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="JSON files or folders")
        parser.add_argument("--bundled", action="store_true", help="the bundled catalog")

    def handle(self, *args: Any, paths: list[Path], bundled: bool, **options: Any) -> None:
        if bundled:
            paths = [BUNDLED_DIR, *paths]
        if not paths:
            raise CommandError("Name one or more files or folders, or pass --bundled.")
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        report = import_paths(paths, source="bundled" if bundled else "imported")
        report.write(self, "Catalog: ")
