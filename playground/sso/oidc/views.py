"""The OpenID Connect sign-in URLs: allauth's login and callback views, run with our
adapter (adapter.py) instead of allauth's, so every ID token is checked in full."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

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


@require_POST
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start a sign-in at the provider (a POST with CSRF: a link elsewhere cannot)."""
    from allauth.socialaccount.models import SocialApp
    from allauth.socialaccount.providers.oauth2.views import OAuth2LoginView

    from playground.sso.oidc.adapter import OidcAdapter

    try:
        return OAuth2LoginView.adapter_view(OidcAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such sign-in provider.") from None


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    from allauth.socialaccount.models import SocialApp
    from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView

    from playground.sso.oidc.adapter import OidcAdapter

    try:
        return OAuth2CallbackView.adapter_view(OidcAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such sign-in provider.") from None
