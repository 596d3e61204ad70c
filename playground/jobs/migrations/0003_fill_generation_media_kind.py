"""Fill `Generation.media_kind` for runs stored before it was written: the gallery's
Media filter found nothing for them."""

from __future__ import annotations

from django.db import migrations
from django.db.models import Prefetch

BATCH = 500


def fill(apps, schema_editor):
    from playground.jobs.assets import output_kind

    Generation = apps.get_model("jobs", "Generation")
    MediaAsset = apps.get_model("jobs", "MediaAsset")
    rows = (
        Generation.objects.filter(media_kind="")
        .exclude(output__isnull=True)
        .only("pk", "output")
        .prefetch_related(Prefetch("assets", queryset=MediaAsset.objects.order_by("position")))
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for generation in batch:
            kind = output_kind(list(generation.assets.all()), generation.output)
            if kind:
                Generation.objects.filter(pk=generation.pk).update(media_kind=kind)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_gallery_fields")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
