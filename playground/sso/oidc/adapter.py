"""allauth hooks: what a sign-in through OpenID Connect does on our side."""

from __future__ import annotations

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    pass


class OidcAdapter(OpenIDConnectOAuth2Adapter):
    pass
