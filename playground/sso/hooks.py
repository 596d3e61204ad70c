"""allauth hooks shared by every protocol (settings SOCIALACCOUNT_ADAPTER and
ACCOUNT_ADAPTER): a refused sign-in becomes a message on our sign-in page, new accounts
take their username from SSO_USERNAME_CLAIM, and nothing leads to allauth's own pages
(we do not serve them).

A protocol's adapter puts on allauth's SocialLogin, besides what allauth needs:
`sso_provider` (the provider id), `sso_username` (the SSO_USERNAME_CLAIM value, or ""),
`sso_groups` (for groups.sync_teams) and optionally `sso_logout` (see logout.py).
"""

from __future__ import annotations

import logging
import re

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect

from playground.sso.errors import SignInRefused

log = logging.getLogger(__name__)

# The `error` codes of OAuth 2.0 / OpenID Connect answers, in words.
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
UNMATCHED = (
    "This sign-in could not be matched to one started here (it was used already, took too "
    "long or began in another browser). Please try again."
)


def refusal(request, provider, error, exception, extra_context: dict) -> str:
    """Why a sign-in failed, in words for the person (never a stack trace or a secret)."""
    label = getattr(provider, "name", "") or "the identity provider"
    if isinstance(exception, SignInRefused):
        return str(exception)
    if "error" in request.GET:  # the provider's answer; its free text is not shown
        return PROVIDER_ERRORS.get(request.GET["error"], "{label} refused the sign-in.").format(
            label=label
        )
    if error == AuthError.CANCELLED:
        return PROVIDER_ERRORS["access_denied"].format(label=label)
    if exception is None and extra_context.get("state") is None:
        return UNMATCHED
    if isinstance(exception, requests.RequestException):
        return f"Could not reach {label}. Please try again later."
    if isinstance(exception, OAuth2Error):
        return (
            f"{label} did not accept this sign-in (its code was used already or has "
            "expired). Please try again."
        )
    return f"The sign-in with {label} failed. Please try again."


def refuse(request, text: str):
    """Back to the sign-in page with `text`; raises ImmediateHttpResponse (allauth's way)."""
    messages.error(request, text)
    raise ImmediateHttpResponse(redirect("login"))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        text = refusal(request, provider, error, exception, extra_context or {})
        log.warning("SSO sign-in refused (%s): %s", getattr(provider, "id", "?"), text)
        refuse(request, text)

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return True  # the provider decides who may sign in; we never show allauth's form

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        wanted = getattr(sociallogin, "sso_username", "") or ""
        if not wanted and data.get("email"):
            wanted = data["email"].split("@", 1)[0]
        user.username = unique_username(wanted)
        return user


class AccountAdapter(DefaultAccountAdapter):
    def respond_user_inactive(self, request, user):
        refuse(request, "This account is deactivated on Playground: ask its administrator.")


def unique_username(wanted: str) -> str:
    """`wanted` made a valid username (letters, digits, @.+-_), with a number when taken."""
    base = re.sub(r"[^\w.@+-]", "", str(wanted))[:140] or "user"
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name
