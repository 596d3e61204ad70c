"""OpenID Connect providers from the environment, numbered from 1:

    OIDC_1_ISSUER=https://example.okta.com      (required; discovery is read from it)
    OIDC_1_CLIENT_ID=...                         (required)
    OIDC_1_SECRET=...                            (required: a confidential client)
    OIDC_1_LABEL=Okta                            (the button: "Sign in with Okta")
    OIDC_1_ID=okta                               (in URLs and group rules; from the label)
    OIDC_1_SCOPES=openid profile email groups    (default: openid profile email)
    OIDC_1_GROUPS_CLAIM=groups                   (the ID token / userinfo claim with groups)

Read by settings.py at start, so it imports nothing of Django but its exception and never
touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

NUMBERED = re.compile(r"^OIDC_(\d+)_ISSUER$")
PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
DEFAULT_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True)
class OidcProvider:
    id: str
    label: str
    issuer: str
    client_id: str
    secret: str
    scopes: tuple[str, ...]
    groups_claim: str

    def __repr__(self) -> str:  # never the secret, should a provider reach a log
        return f"OidcProvider(id={self.id!r}, issuer={self.issuer!r})"


def providers_from_env(environ: Mapping[str, str]) -> list[OidcProvider]:
    """Every OIDC_<n>_* provider, by n. Raises ImproperlyConfigured for a missing value."""
    numbers = sorted(int(m[1]) for name in environ if (m := NUMBERED.match(name)))
    found = [_provider(environ, n) for n in numbers if environ[f"OIDC_{n}_ISSUER"].strip()]
    ids = [provider.id for provider in found]
    for provider_id in ids:
        if ids.count(provider_id) > 1:
            raise ImproperlyConfigured(f"Two OIDC providers have the id {provider_id!r}.")
    return found


def _provider(environ: Mapping[str, str], n: int) -> OidcProvider:
    def value(key: str, default: str = "") -> str:
        return (environ.get(f"OIDC_{n}_{key}") or default).strip()

    for key in ("CLIENT_ID", "SECRET"):
        if not value(key):
            raise ImproperlyConfigured(f"OIDC_{n}_ISSUER is set but OIDC_{n}_{key} is not.")
    issuer = value("ISSUER").rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"OIDC_{n}_ISSUER must be a URL, got {issuer!r}.")
    label = value("LABEL", f"identity provider {n}")
    provider_id = value("ID") or _slug(label) or f"oidc{n}"
    if not PROVIDER_ID.match(provider_id):
        raise ImproperlyConfigured(
            f"OIDC_{n}_ID must be lowercase letters, digits and dashes, got {provider_id!r}."
        )
    scopes = tuple(value("SCOPES").replace(",", " ").split()) or DEFAULT_SCOPES
    if "openid" not in scopes:
        scopes = ("openid", *scopes)
    return OidcProvider(
        id=provider_id,
        label=label,
        issuer=issuer,
        client_id=value("CLIENT_ID"),
        secret=value("SECRET"),
        scopes=scopes,
        groups_claim=value("GROUPS_CLAIM", "groups"),
    )


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:50]


def allauth_providers(providers: list[OidcProvider]) -> dict:
    """settings.SOCIALACCOUNT_PROVIDERS: one allauth "app" per provider, PKCE on."""
    apps = [
        {
            "provider_id": provider.id,
            "name": provider.label,
            "client_id": provider.client_id,
            "secret": provider.secret,
            "settings": {
                "server_url": provider.issuer,
                "scope": list(provider.scopes),
                "oauth_pkce_enabled": True,
            },
        }
        for provider in providers
    ]
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
