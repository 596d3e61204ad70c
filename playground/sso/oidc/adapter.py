"""allauth hooks: how an OpenID Connect sign-in is started, checked and finished here.

`OidcAdapter` replaces allauth's ID token handling with tokens.py's checks and keeps the
discovery document cached. `SocialAccountAdapter` names new accounts
(SSO_USERNAME_CLAIM), turns every failure into a plain message on the sign-in page, and
links by email only per SSO_LINK_BY_EMAIL (allauth's own setting follows it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect

from playground.sso.oidc import tokens

log = logging.getLogger(__name__)


def configured(provider_id: str):
    return next((p for p in settings.OIDC_PROVIDERS if p.id == provider_id), None)


class OidcAdapter(OpenIDConnectOAuth2Adapter):
    state: dict | None = None  # the stashed state of this sign-in (CallbackView sets it)

    @property
    def settings_entry(self):
        return configured(self.provider_id)

    @property
    def openid_config(self) -> dict[str, Any]:
        entry = self.settings_entry
        return tokens.discovery(entry.issuer, entry.label)

    def complete_login(self, request, app, token, **kwargs):
        response = kwargs["response"]
        raw = response.get("id_token")
        entry = self.settings_entry
        if not raw:
            raise tokens.OidcError(f"{entry.label} sent no ID token.")
        nonce = (self.state or {}).get("nonce")
        claims = tokens.check_id_token(
            raw, config=self.openid_config, client_id=app.client_id, nonce=nonce,
            label=entry.label,
        )  # fmt: skip
        data: dict[str, Any] = {"id_token": claims}
        if self.openid_config.get("userinfo_endpoint"):
            userinfo = self._fetch_user_info(token.token)
            if userinfo.get("sub") != claims["sub"]:  # OIDC Core 5.3.2
                raise tokens.OidcError(f"{entry.label} described another person than it signed in.")
            data["userinfo"] = userinfo
        login = self.get_provider().sociallogin_from_response(request, data)
        # Read by signin.signed_in once the person is signed in (see there).
        login.sso_provider = entry.id
        login.sso_groups = groups_in({**claims, **data.get("userinfo", {})}, entry.groups_claim)
        login.sso_logout = {"protocol": "oidc", "provider": entry.id, "id_token": raw}
        return login


def groups_in(claims: dict[str, Any], claim: str) -> list[str]:
    """The groups a claim lists: a JSON list, or one string of names."""
    value = claims.get(claim) or []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [str(group) for group in value if isinstance(group, (str, int))]


class CallbackView(OAuth2CallbackView):
    """allauth's callback, handing the stashed state (with our nonce) to the adapter."""

    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state
        return state, response


# The `error` codes of OAuth 2.0 / OIDC authorization answers, in words.
PROVIDER_ERRORS = {
    "access_denied": "The sign-in was declined at {label}.",
    "login_required": "{label} asks you to sign in there first.",
    "consent_required": "The sign-in needs your consent at {label}.",
    "interaction_required": "{label} needs you to finish something there first.",
    "invalid_scope": "{label} refused the permissions this server asks for.",
    "unauthorized_client": "{label} does not allow this server to sign people in.",
    "temporarily_unavailable": "{label} is unavailable right now. Please try again later.",
    "server_error": "{label} had a problem. Please try again later.",
}


def error_message(request, provider, error, exception, extra_context: dict) -> str:
    """Why a sign-in failed, in words for the person (never a stack trace or a secret)."""
    label = getattr(provider, "name", "the identity provider")
    if isinstance(exception, tokens.OidcError):
        return str(exception)
    if "error" in request.GET:
        code = request.GET["error"]
        return PROVIDER_ERRORS.get(code, "{label} refused the sign-in.").format(label=label)
    if error == AuthError.CANCELLED:
        return PROVIDER_ERRORS["access_denied"].format(label=label)
    if exception is None and extra_context.get("state") is None:
        return (
            "This sign-in could not be matched to one started here (it was used already, "
            "took too long or began in another browser). Please try again."
        )
    if isinstance(exception, requests.RequestException):
        return f"Could not reach {label}. Please try again later."
    if isinstance(exception, OAuth2Error):
        return (
            f"{label} did not accept this sign-in (its code was used already or has "
            "expired). Please try again."
        )
    return f"The sign-in with {label} failed. Please try again."


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        text = error_message(request, provider, error, exception, extra_context or {})
        log.warning("SSO sign-in refused (%s): %s", getattr(provider, "id", "?"), text)
        messages.error(request, text)
        raise ImmediateHttpResponse(redirect("login"))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.username = unique_username(preferred_username(sociallogin, data))
        return user


def claims_of(sociallogin) -> dict[str, Any]:
    """The ID token's claims with the userinfo's on top (userinfo often has more)."""
    extra = sociallogin.account.extra_data or {}
    return {**extra.get("id_token", {}), **extra.get("userinfo", {})}


def preferred_username(sociallogin, data: dict) -> str:
    claims = claims_of(sociallogin)
    wanted = str(claims.get(settings.SSO_USERNAME_CLAIM) or "")
    if not wanted and data.get("email"):
        wanted = data["email"].split("@", 1)[0]
    return wanted


def unique_username(wanted: str) -> str:
    """`wanted` made a valid username (letters, digits, @.+-_), with a number when taken."""
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    User = get_user_model()
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name
