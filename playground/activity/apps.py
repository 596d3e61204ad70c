from __future__ import annotations

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "playground.activity"
    label = "activity"
    verbose_name = "Team activity"
