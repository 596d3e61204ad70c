"""Discovery, signing keys and ID token checks, in our hands rather than allauth's.

allauth 65 skips the signature of an ID token that came from the token endpoint (the
specification allows it over TLS), sends no nonce, fetches the keys and the discovery
document at every sign-in and allows no clock skew. Here: discovery and keys are cached
(OIDC_CACHE_SECONDS), a token signed with a key id not in the cached set fetches the keys
again (rotation), every ID token's signature, issuer, audience, expiry (within
OIDC_CLOCK_SKEW_SECONDS) and nonce are checked. Every failure is an `OidcError` whose
message is meant for the person signing in.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.core.cache import cache

from playground.sso.errors import SignInRefused

# Only public-key signatures: an HMAC "signature" would use the client secret, and `none`
# is no signature at all.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                        "ES384", "ES512", "EdDSA"})  # fmt: skip


class OidcError(OAuth2Error, SignInRefused):
    """A sign-in refused; str() says why in plain words."""


def fetch_json(url: str, what: str, label: str) -> dict[str, Any]:
    try:
        with get_adapter().get_requests_session() as session:  # OIDC_TIMEOUT_SECONDS
            response = session.get(url)
            response.raise_for_status()
            found = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OidcError(f"Could not reach {label} ({what}): {type(error).__name__}.") from error
    if not isinstance(found, dict):
        raise OidcError(f"{label} sent an unreadable {what}.")
    return found


def discovery(issuer: str, label: str) -> dict[str, Any]:
    """The provider's discovery document, cached; its issuer must be the configured one."""
    key = f"sso:oidc:discovery:{issuer}"
    found = cache.get(key)
    if found is None:
        found = fetch_json(f"{issuer}/.well-known/openid-configuration", "discovery", label)
        if found.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise OidcError(f"{label}'s discovery document names another issuer.")
        cache.set(key, found, settings.OIDC_CACHE_SECONDS)
    return found


def signing_key(config: dict[str, Any], kid: str | None, label: str):
    """The public key `kid` of the provider's JWKS: from the cache, else fetched again."""
    uri = config["jwks_uri"]
    key = f"sso:oidc:jwks:{uri}"
    keys = cache.get(key)
    found = _pick(keys, kid) if keys else None
    if found is None:  # first use, or the provider rotated its keys
        keys = fetch_json(uri, "signing keys", label)
        cache.set(key, keys, settings.OIDC_CACHE_SECONDS)
        found = _pick(keys, kid)
    if found is None:
        raise OidcError(f"The sign-in answer was not signed with any key of {label}.")
    return jwt.PyJWK.from_json(json.dumps(found))


def _pick(keys: dict[str, Any], kid: str | None) -> dict[str, Any] | None:
    signing = [k for k in keys.get("keys", []) if k.get("use", "sig") == "sig"]
    if kid is None:
        return signing[0] if len(signing) == 1 else None
    return next((k for k in signing if k.get("kid") == kid), None)


def check_id_token(
    raw: str, *, config: dict[str, Any], client_id: str, nonce: str | None, label: str
) -> dict[str, Any]:
    """The ID token's claims after every check of OpenID Connect Core 3.1.3.7; raises
    OidcError saying which failed."""
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError as error:
        raise OidcError(f"{label} sent an unreadable sign-in answer.") from error
    alg = header.get("alg")
    allowed = set(config.get("id_token_signing_alg_values_supported", ["RS256"])) & ASYMMETRIC
    if alg not in allowed:
        raise OidcError(f"The sign-in answer from {label} was not signed as expected.")
    key = signing_key(config, header.get("kid"), label)
    claims = _decode(raw, key, alg=alg, config=config, client_id=client_id, label=label)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError(f"The sign-in answer from {label} was meant for another application.")
    if not nonce or claims.get("nonce") != nonce:
        raise OidcError("The sign-in answer did not belong to this sign-in. Please try again.")
    return claims


def _decode(raw: str, key, *, alg: str, config: dict, client_id: str, label: str) -> dict:
    try:
        return jwt.decode(
            raw,
            key=key,
            algorithms=[alg],
            audience=client_id,
            issuer=config["issuer"],
            leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise OidcError(
            f"The sign-in answer from {label} had expired. Please try again "
            "(if it keeps happening, this server's clock may be wrong)."
        ) from error
    except jwt.ImmatureSignatureError as error:
        raise OidcError(
            f"The sign-in answer from {label} is not valid yet (clocks differ)."
        ) from error
    except jwt.InvalidAudienceError as error:
        raise OidcError(
            f"The sign-in answer from {label} was meant for another application."
        ) from error
    except jwt.InvalidIssuerError as error:
        raise OidcError(f"The sign-in answer did not come from {label}.") from error
    except jwt.InvalidSignatureError as error:
        raise OidcError(f"The sign-in answer was not signed by {label}.") from error
    except jwt.PyJWTError as error:
        raise OidcError(f"{label} sent a sign-in answer that could not be checked.") from error
