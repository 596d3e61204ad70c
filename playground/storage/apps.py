from __future__ import annotations

from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "playground.storage"
    label = "media_storage"  # "storage" reads too much like django-storages' own package
    verbose_name = "Media storage"
