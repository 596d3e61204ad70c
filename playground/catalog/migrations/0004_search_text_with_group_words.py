from django.db import migrations


def refill_search_text(apps, schema_editor):
    """Search text now carries the category as words and each group's usual words
    ("text to speech", "tts"): rows imported before get what an import sets now."""
    from playground.catalog.importer import search_text_for

    Endpoint = apps.get_model("catalog", "Endpoint")
    rows = list(
        Endpoint.objects.only(
            "endpoint_id", "title", "description", "category", "group", "metadata"
        )
    )
    for row in rows:
        row.search_text = search_text_for(
            row.endpoint_id,
            row.title,
            row.description,
            row.category,
            row.group,
            (row.metadata or {}).get("tags"),
        )
    Endpoint.objects.bulk_update(rows, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_endpoint_search_covering_index"),
    ]

    operations = [
        migrations.RunPython(refill_search_text, migrations.RunPython.noop),
    ]
