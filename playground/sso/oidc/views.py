"""The OpenID Connect sign-in URLs: allauth's flow, started with a nonce and finished
with our adapter (adapter.py), so every ID token is checked in full."""

from __future__ import annotations

import secrets

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from playground.sso.oidc.adapter import CallbackView, OidcAdapter, configured
from playground.sso.oidc.tokens import OidcError
from playground.sso.providers import OIDC, Provider


def configured_providers() -> list[Provider]:
    """settings.OIDC_PROVIDERS as sign-in buttons (settings only: no network)."""
    return [
        Provider(
            id=provider.id,
            label=provider.label,
            protocol=OIDC,
            start_url=reverse("openid_connect_login", kwargs={"provider_id": provider.id}),
        )
        for provider in settings.OIDC_PROVIDERS
    ]


def _provider(request: HttpRequest, provider_id: str):
    if configured(provider_id) is None:  # only settings' providers (not apps added in the admin)
        raise Http404("No such sign-in provider.")
    try:
        provider = get_adapter().get_provider(request, provider=provider_id)
    except SocialApp.DoesNotExist:
        raise Http404("No such sign-in provider.") from None
    provider.oauth2_adapter_class = OidcAdapter  # cached discovery, full token checks
    return provider


@require_POST
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start a sign-in at the provider: state, PKCE (S256) and a nonce stashed in the
    session. POST with CSRF: a link or form elsewhere cannot start one."""
    provider = _provider(request, provider_id)
    nonce = secrets.token_urlsafe(32)
    kwargs = provider.get_redirect_from_request_kwargs(request)
    # Only what settings say: no scope or parameter from the request, and always a sign-in
    # (allauth's "connect" would lead to its own pages, which we do not serve).
    kwargs.update(scope=provider.get_scope(), auth_params={"nonce": nonce}, process="login")
    try:
        return provider.redirect(request, nonce=nonce, **kwargs)
    except OidcError as error:  # discovery unreachable or wrong
        messages.error(request, str(error))
        return redirect("login")


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = _provider(request, provider_id)
    return CallbackView.adapter_view(OidcAdapter(request, provider.app.provider_id))(request)
