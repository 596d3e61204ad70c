"""The SAML sign-in buttons (settings.SSO_PROVIDER_SOURCES). Imports no pysaml2: the
sign-in page of a server without SAML never pays for loading it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from playground.sso.providers import SAML, Provider


def configured_providers() -> list[Provider]:
    """settings.SAML_IDPS as sign-in buttons (settings only: no network)."""
    return [
        Provider(
            id=idp.id,
            label=idp.label,
            protocol=SAML,
            start_url=reverse("saml:login", args=[idp.id]),
        )
        for idp in settings.SAML_IDPS
    ]
