from __future__ import annotations

from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "playground.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from playground.sso import checks  # noqa: F401  (registers the system checks)
        from playground.sso.signin import signed_in

        user_logged_in.connect(signed_in, dispatch_uid="sso-signed-in")
