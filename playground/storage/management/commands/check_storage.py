"""`manage.py check_storage`: can this process write, read and delete in the media store?"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from playground.storage.probe import probe


class Command(BaseCommand):
    help = "Write, read back and delete a probe object in the media store (exit 1 if not)."

    def handle(self, *args, **options) -> None:
        result = probe()
        if not result["ok"]:
            raise CommandError(f"Storage ({result['backend']}) failed: {result['error']}")
        self.stdout.write(f"Storage ({result['backend']}) is reachable and writable.")
