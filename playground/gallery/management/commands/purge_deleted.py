"""Remove generations deleted more than N days ago, with their stored files."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from playground.jobs.models import Generation
from playground.jobs.purge import purge_generations


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
        if dry_run:
            self.stdout.write(f"{doomed.count()} generation(s) would be purged.")
            return
        purged = purge_generations(doomed)
        self.stdout.write(f"Purged {purged.generations} generation(s) and {purged.files} file(s).")
