"""How an OpenID Connect sign-in is checked and finished here: `OidcAdapter` replaces
allauth's ID token handling with tokens.py's checks and keeps the discovery document
cached; what every protocol shares is in sso/hooks.py."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings

from playground.sso.oidc import tokens


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
        login.sso_username = str(
            data.get("userinfo", {}).get(settings.SSO_USERNAME_CLAIM)
            or claims.get(settings.SSO_USERNAME_CLAIM)
            or ""
        )
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
