"""Delete demo visitors' runs older than DEMO_KEEP_HOURS, with their files (the runner does
it too, every few minutes, while DEMO_MODE is on)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from playground.demo.visitors import purge_expired


class Command(BaseCommand):
    help = "Delete demo visitors' runs older than DEMO_KEEP_HOURS (24), and their files."

    def handle(self, *args, **options) -> None:
        purged = purge_expired()
        self.stdout.write(f"Purged {purged.generations} demo run(s) and {purged.files} file(s).")
