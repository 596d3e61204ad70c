"""How an OpenID Connect sign-in is checked and finished here: `OidcAdapter` replaces
allauth's ID token handling with tokens.py's checks and keeps the discovery document
cached; what every protocol shares is in sso/hooks.py."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.helpers import render_authentication_error
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
        raw = kwargs["response"].get("id_token")
        claims = self._checked_id_token(raw, app.client_id)
        data: dict[str, Any] = {"id_token": claims}
        if self.openid_config.get("userinfo_endpoint"):
            data["userinfo"] = self._userinfo_of(claims["sub"], token.token)
        login = self.get_provider().sociallogin_from_response(request, data)
        _annotate(login, self.settings_entry, {**claims, **data.get("userinfo", {})}, raw)
        return login

    def _checked_id_token(self, raw: str | None, client_id: str) -> dict[str, Any]:
        """Every ID token, also one straight from the token endpoint (allauth trusts those
        unchecked), against the provider's keys and this sign-in's nonce."""
        label = self.settings_entry.label
        if not raw:
            raise tokens.OidcError(f"{label} sent no ID token.")
        nonce = (self.state or {}).get("nonce")
        return tokens.check_id_token(
            raw, config=self.openid_config, client_id=client_id, nonce=nonce, label=label
        )

    def _userinfo_of(self, sub: str, access_token: str) -> dict[str, Any]:
        userinfo = self._fetch_user_info(access_token)
        if userinfo.get("sub") != sub:  # OIDC Core 5.3.2: the same person, or nothing
            label = self.settings_entry.label
            raise tokens.OidcError(f"{label} described another person than it signed in.")
        return userinfo


def _annotate(login, entry, claims: dict[str, Any], raw: str) -> None:
    """What signin.signed_in and hooks.py read once the person is signed in (see there)."""
    login.sso_provider = entry.id
    login.sso_username = str(claims.get(settings.SSO_USERNAME_CLAIM) or "")
    login.sso_groups = groups_in(claims, entry.groups_claim)
    login.sso_logout = {"protocol": "oidc", "provider": entry.id, "id_token": raw}


def groups_in(claims: dict[str, Any], claim: str) -> list[str]:
    """The groups a claim lists: a JSON list, or one string of names."""
    value = claims.get(claim) or []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [str(group) for group in value if isinstance(group, (str, int))]


class CallbackView(OAuth2CallbackView):
    """allauth's callback, handing the stashed state (with our nonce) to the adapter, and
    refusing an answer that names another issuer (RFC 9207, mix-up) or a discovery
    failure in words (allauth reads discovery outside its own error handling)."""

    def dispatch(self, request, *args, **kwargs):
        provider = self.adapter.get_provider()
        entry = self.adapter.settings_entry
        try:
            if request.GET.get("iss", entry.issuer).rstrip("/") != entry.issuer:
                raise tokens.OidcError(f"This sign-in answer did not come from {entry.label}.")
            return super().dispatch(request, *args, **kwargs)
        except tokens.OidcError as error:
            return render_authentication_error(request, provider, exception=error)

    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state
        return state, response
