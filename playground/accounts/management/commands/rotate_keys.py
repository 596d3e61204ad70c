"""Encrypt every stored fal key again with the first key of FIELD_ENCRYPTION_KEY.

To replace a key: put the new one first (`FIELD_ENCRYPTION_KEY=new,old`), restart, run
this, then drop the old key. Safe to run again: keys already under the first key stay.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from playground.accounts.credentials import rotate_stored_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored fal key with the first key of FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options) -> None:
        report = rotate_stored_keys()
        self.stdout.write(
            f"Re-encrypted {report.rotated} stored key(s); "
            f"{report.current} already used the first key."
        )
        if report.unreadable:
            self.stderr.write(
                f"{len(report.unreadable)} stored key(s) cannot be read with any configured key "
                f"and must be entered again: {', '.join(report.unreadable)}."
            )
