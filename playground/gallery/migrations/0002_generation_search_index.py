from django.db import migrations

INDEX = "gen_search_fts"


def create_index(apps, schema_editor):
    """Full-text search over the gallery on Postgres. The expression must stay exactly what
    gallery.queries.search builds (SearchVector("search_text", config="simple")), or the
    planner cannot use the index. SQLite searches with LIKE and needs none."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "jobs_generation" USING GIN '
            "(to_tsvector('simple'::regconfig, COALESCE(\"search_text\", '')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0001_initial"),
        ("jobs", "0002_gallery_fields"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
