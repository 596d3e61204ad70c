"""What every single sign-on does once the person is signed in, whatever the protocol.

A protocol's adapter puts on allauth's SocialLogin: `sso_provider` (the provider id),
`sso_username` (read by hooks.py for a new account), `sso_groups` (the groups the identity
provider sent) and, optionally, `sso_logout` (what sign-out needs to end the session at the
provider too, kept in the session; see logout.py).
"""

from __future__ import annotations

from typing import Any

from playground.sso.groups import sync_teams

LOGOUT_SESSION_KEY = "sso_logout"


def signed_in(sender: Any, request, user, sociallogin=None, **kwargs: Any) -> None:
    """allauth's user_logged_in: apply the group rules at every SSO sign-in."""
    provider = getattr(sociallogin, "sso_provider", None)
    if provider is None:
        return
    sync_teams(user, list(getattr(sociallogin, "sso_groups", [])), provider=provider)
    logout = getattr(sociallogin, "sso_logout", None)
    if logout:
        request.session[LOGOUT_SESSION_KEY] = logout
