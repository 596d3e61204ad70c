"""The identity providers people may sign in with, for the sign-in and sign-up pages.

Each protocol module offers a function that lists its configured providers;
settings.SSO_PROVIDER_SOURCES names those functions (dotted paths), e.g.
"playground.sso.oidc.config.providers". Reading a source must not touch the network: it
only reads settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

OIDC, SAML = "oidc", "saml"


@dataclass(frozen=True)
class Provider:
    id: str  # unique across protocols: GroupRule.provider and SsoGrant.provider name it
    label: str  # the button says "Sign in with <label>"
    protocol: str  # OIDC or SAML
    start_url: str  # where the button goes (a path on this site)


def configured() -> list[Provider]:
    """Every configured provider, in the order of the sources and of their settings.
    Raises ImproperlyConfigured when two share an id."""
    found: list[Provider] = []
    for path in settings.SSO_PROVIDER_SOURCES:
        source: Callable[[], list[Provider]] = import_string(path)
        found.extend(source())
    ids = [provider.id for provider in found]
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise ImproperlyConfigured(f"Two sign-in providers share the id {duplicates[0]!r}.")
    return found


def find(provider_id: str) -> Provider | None:
    return next((p for p in configured() if p.id == provider_id), None)


def password_sign_in_for_everyone() -> bool:
    """False with SSO_ONLY: only staff may still sign in with a password (break-glass)."""
    return not settings.SSO_ONLY
