from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from playground.sso.oidc import tokens
from playground.sso.oidc.adapter import configured


def end_session_url(request: HttpRequest, info: dict) -> str:
    """The provider's end_session_endpoint with id_token_hint and a way back here, when
    its discovery document has one (OpenID Connect RP-Initiated Logout 1.0)."""
    provider = configured(info.get("provider", ""))
    if provider is None:
        return ""
    endpoint = tokens.discovery(provider.issuer, provider.label).get("end_session_endpoint")
    if not endpoint:
        return ""
    query = {
        "id_token_hint": info["id_token"],
        "client_id": provider.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("home")),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
