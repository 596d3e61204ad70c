from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "playground.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from playground.lib.images import configure_pillow

        # Every process (daphne, runjobs, `manage.py localfal`) sets up Django, so each
        # gets Pillow's decompression-bomb guard at our limit before it decodes anything.
        configure_pillow()
