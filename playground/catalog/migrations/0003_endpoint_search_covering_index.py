from django.db import migrations

INDEX = "catalog_endpoint_search_cover"


def create_index(apps, schema_editor):
    """SQLite stores a row's columns in order, and `group` and `search_text` come after the
    big schema JSON: filtering on them reads every row's overflow pages. An index holding
    what search and ranking need lets SQLite scan it instead (about 15x faster with 1,300
    endpoints). Postgres keeps big values out of line (TOAST), so it needs none, and a
    btree there would limit description length. Not in the model state, so a later
    migration that makes Django rebuild this SQLite table must create it again."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "catalog_endpoint" '
            '("group", "search_text", "title", "endpoint_id")'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_endpoint_group_search_text"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
