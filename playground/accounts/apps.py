from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "playground.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from playground.accounts import checks  # noqa: F401  (registers the system checks)
