from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "playground.demo"
    label = "demo"
    verbose_name = "Demo mode"

    def ready(self) -> None:
        from playground.demo import checks  # noqa: F401  (registers the system check)
