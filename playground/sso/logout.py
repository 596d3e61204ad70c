"""Sign-out at the identity provider too (RP-initiated logout), where it offers it.

Each protocol names a function (request, info) -> URL or "" in END_SESSION; `info` is
what its adapter kept in the session at sign-in (signin.LOGOUT_SESSION_KEY).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

END_SESSION = {
    "oidc": "playground.sso.oidc.logout.end_session_url",
    "saml": "playground.sso.saml.logout.end_session_url",
}


def end_session_url(request: HttpRequest, info: dict | None) -> str:
    """Where to send the browser after our sign-out, or "" (no provider session, or the
    provider offers no sign-out: ours is done either way)."""
    if not info or info.get("protocol") not in END_SESSION:
        return ""
    try:
        return import_string(END_SESSION[info["protocol"]])(request, info)
    except Exception:  # the provider unreachable must not keep anyone signed in here
        log.warning("no sign-out at the provider %s", info.get("provider"), exc_info=True)
        return ""
