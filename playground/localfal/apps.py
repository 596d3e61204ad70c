from __future__ import annotations

from django.apps import AppConfig


class LocalfalConfig(AppConfig):
    name = "playground.localfal"
    label = "localfal"
    verbose_name = "Local fal emulator"
