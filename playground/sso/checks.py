"""System checks of single sign-on; they read settings only, never the network."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def issuers_use_https(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An issuer over plain http hands out ID tokens anyone on the path can read or change."""
    return [
        checks.Warning(
            f"The OpenID Connect provider {provider.id!r} is reached over plain http.",
            hint="Set its OIDC_<n>_ISSUER to the provider's https:// URL.",
            id="sso.W001",
        )
        for provider in settings.OIDC_PROVIDERS
        if not provider.issuer.startswith("https://")
    ]


@checks.register(checks.Tags.security)
def sso_only_has_a_provider(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """SSO_ONLY without any provider leaves only staff able to sign in."""
    from playground.sso.providers import configured

    if not settings.SSO_ONLY or configured():
        return []
    return [
        checks.Warning(
            "SSO_ONLY is on but no sign-in provider is configured: only staff can sign in.",
            hint="Configure a provider (OIDC_1_ISSUER, ...) or turn SSO_ONLY off.",
            id="sso.W002",
        )
    ]
