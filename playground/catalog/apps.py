from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "playground.catalog"
    label = "catalog"
    verbose_name = "Model catalog"

    def ready(self) -> None:
        from playground.catalog.importer import load_bundled_after_migrate

        # The bundled catalog is part of the schema of a fresh install: load it whenever
        # migrations run (also after a test flush), so no separate step can be forgotten.
        post_migrate.connect(load_bundled_after_migrate, sender=self)
