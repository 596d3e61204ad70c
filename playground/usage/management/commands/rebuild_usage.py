"""`manage.py rebuild_usage [--since YYYY-MM-DD]`: the usage roll-up recomputed from the log."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from playground.usage.rollup import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the usage page's daily roll-up (UsageDay) from the request log: every "
        "day, or from --since on. Only needed after the log was changed by hand."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="First UTC day to recompute (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(str(options["since"]))
            except ValueError as error:
                raise CommandError("--since takes a date, YYYY-MM-DD.") from error
        written = rebuild(since)
        scope = f"from {since}" if since else "for every day"
        self.stdout.write(f"Usage rebuilt {scope}: {written} roll-up rows.")
