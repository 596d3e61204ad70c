"""SAML single logout: after Playground's own sign-out, a LogoutRequest to the IdP when its
metadata lists a SingleLogoutService (HTTP-Redirect); the IdP answers at our `sls` URL.

The core's sign-out (sso/logout.py) asks `end_session_url` once the Django session has
ended. djangosaml2's own session (the subject and its IdP) lives in another cookie that
only SAML views read, so the answer is our `saml:logout` URL with a short-lived signed
ticket naming that cookie: only the browser that just signed out can use it.
"""

from __future__ import annotations

import logging

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from saml2 import BINDING_HTTP_REDIRECT

from playground.sso.saml import sp

log = logging.getLogger(__name__)

TICKET_SALT = "playground.sso.saml.logout"
TICKET_SECONDS = 120


def end_session_url(request: HttpRequest, info: dict) -> str:
    """Our `saml:logout` URL for the IdP that signed the person in, when it offers single
    logout; "" otherwise (the sign-out here is complete either way)."""
    idp = sp.find_idp(info.get("provider", ""))
    saml_cookie = request.COOKIES.get(sp.saml_session_cookie_name(), "")
    if idp is None or not saml_cookie or not offers_single_logout(request, idp):
        return ""
    ticket = signing.dumps({"idp": idp.id, "session": saml_cookie}, salt=TICKET_SALT)
    return f"{reverse('saml:logout', args=[idp.id])}?ticket={ticket}"


def offers_single_logout(request: HttpRequest, idp) -> bool:
    config = sp.sp_config(request, idp)
    entity_ids = list(config.metadata.identity_providers())
    return any(
        config.metadata.single_logout_service(entity_id, BINDING_HTTP_REDIRECT, "idpsso")
        for entity_id in entity_ids
    )


def ticket_is_good(request: HttpRequest, idp_id: str) -> bool:
    """The ticket came from this browser's sign-out, for this IdP, moments ago."""
    try:
        ticket = signing.loads(
            request.GET.get("ticket", ""), salt=TICKET_SALT, max_age=TICKET_SECONDS
        )
    except signing.BadSignature:
        return False
    saml_cookie = request.COOKIES.get(sp.saml_session_cookie_name(), "")
    return (
        ticket.get("idp") == idp_id and bool(saml_cookie) and ticket.get("session") == saml_cookie
    )
