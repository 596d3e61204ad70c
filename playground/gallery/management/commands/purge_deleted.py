"""Remove generations deleted more than N days ago, with their stored files."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from playground.jobs.models import Generation, MediaAsset

BATCH = 500


class Command(BaseCommand):
    help = "Delete generations soft-deleted more than --days ago (default 30), and their files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, days: int, dry_run: bool, **options) -> None:
        if days < 0:
            self.stderr.write("--days must be 0 or more.")
            return
        cutoff = timezone.now() - timedelta(days=days)
        doomed = Generation.objects.filter(deleted_at__lt=cutoff)
        total = doomed.count()
        if dry_run:
            self.stdout.write(f"{total} generation(s) would be purged.")
            return
        purged = files = 0
        while True:
            ids = list(doomed.values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            files += self._delete_files(ids)
            with transaction.atomic():
                purged += (
                    Generation.objects.filter(pk__in=ids).delete()[1].get("jobs.Generation", 0)
                )
        self.stdout.write(f"Purged {purged} generation(s) and {files} file(s).")

    def _delete_files(self, ids: list[int]) -> int:
        """Files go first: a crash in between leaves rows that the next run purges,
        never files nobody references."""
        count = 0
        for asset in MediaAsset.objects.filter(generation_id__in=ids):
            for field in (asset.file, asset.thumbnail):
                if field and field.name:
                    field.storage.delete(field.name)
                    count += 1
        return count
