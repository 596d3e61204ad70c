from __future__ import annotations

from django.apps import AppConfig


class LocalfalConfig(AppConfig):
    name = "playground.localfal"
    label = "localfal"
    verbose_name = "Local fal emulator"

    def ready(self) -> None:
        from playground.localfal import checks  # noqa: F401  (registers the deploy check)
