"""Deleting generations for good, files first (gallery's `purge_deleted`, demo mode's
`purge_demo_runs`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from playground.jobs.models import Generation, MediaAsset

BATCH = 500


@dataclass
class Purged:
    generations: int = 0
    files: int = 0


def purge_generations(rows: QuerySet[Generation]) -> Purged:
    """Delete `rows` (a filter, read again each batch) with their stored files."""
    purged = Purged()
    while True:
        ids = list(rows.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return purged
        purged.files += _delete_files(ids)
        with transaction.atomic():
            deleted = Generation.objects.filter(pk__in=ids).delete()[1]
        purged.generations += deleted.get("jobs.Generation", 0)


def _delete_files(ids: list[int]) -> int:
    """Files go first: a crash in between leaves rows that the next purge removes, never
    files nobody references."""
    count = 0
    for asset in MediaAsset.objects.filter(generation_id__in=ids):
        for field in (asset.file, asset.thumbnail):
            if field and field.name:
                field.storage.delete(field.name)
                count += 1
    return count
