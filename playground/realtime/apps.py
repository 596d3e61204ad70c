from __future__ import annotations

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "playground.realtime"
    label = "realtime"
    verbose_name = "Realtime playground"
