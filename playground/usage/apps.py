from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class UsageConfig(AppConfig):
    name = "playground.usage"
    label = "usage"
    verbose_name = "Usage and cost"

    def ready(self) -> None:
        from playground.usage.prices import load_bundled_after_migrate

        # As the bundled catalog (catalog/apps.py): a fresh install has prices once it is
        # migrated, and so does a test database after a flush.
        post_migrate.connect(load_bundled_after_migrate, sender=self)
