from __future__ import annotations

from django.apps import AppConfig


class SamlConfig(AppConfig):
    name = "playground.sso.saml"
    label = "sso_saml"
    verbose_name = "SAML sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from playground.sso.saml import checks  # noqa: F401 - registers them
