from __future__ import annotations

from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "playground.gallery"
    label = "gallery"
    verbose_name = "Gallery"
