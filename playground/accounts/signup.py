"""Who may create an account: settings.SIGNUP, invitations, and the first account.

- `open`: anyone.
- `invite` (the default without DEBUG): only through a usable invitation link, a team's
  or one staff made without a team; the sign-up accepts it on the way.
- `closed`: nobody.
In every mode the first account of an install can be made, and becomes its administrator,
so a fresh production install is enterable (`manage.py createsuperuser` works as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from playground.accounts.models import Invitation

OPEN, INVITE, CLOSED = "open", "invite", "closed"
SSO = "sso"  # SSO_ONLY: accounts come from single sign-on
# The states of the sign-up page; the first three let people in.
FIRST, INVITED = "first", "invited"
ALLOWED = frozenset({FIRST, OPEN, INVITED})


def no_account_yet() -> bool:
    return not get_user_model().objects.exists()


def invitation_in(next_url: str) -> Invitation | None:
    """The invitation whose join link `next_url` is: an invite link leads an anonymous
    visitor to the sign-up page with it as `next`."""
    if not next_url:
        return None
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    if match.view_name != "teams:join":
        return None
    found = Invitation.objects.select_related("team", "created_by")
    return found.filter(token=match.kwargs["token"]).first()


@dataclass(frozen=True)
class Gate:
    """Whether the sign-up page lets someone in now, and why (its `state`)."""

    state: str
    invitation: Invitation | None = None
    problem: str = ""  # why the invitation the visitor came with cannot be used

    @property
    def allowed(self) -> bool:
        return self.state in ALLOWED


def signup_gate(invitation: Invitation | None) -> Gate:
    """The gate for a visitor who came with `invitation` (or none)."""
    from playground.accounts.actions import invitation_problem

    if no_account_yet():
        return Gate(FIRST)
    if settings.SSO_ONLY:
        return Gate(SSO)
    if settings.SIGNUP == CLOSED:
        return Gate(CLOSED)
    problem = invitation_problem(invitation) if invitation is not None else None
    if invitation is not None and problem is None:
        return Gate(INVITED, invitation)
    if settings.SIGNUP == OPEN:
        return Gate(OPEN)
    return Gate(INVITE, problem=problem or "")


class SignupOffer:
    """What the header and home page offer a visitor: `open` (a plain "Sign up") is read
    only when a template asks, so signed-in pages make no query for it."""

    def __init__(self) -> None:
        self.mode = SSO if settings.SSO_ONLY else settings.SIGNUP

    @cached_property
    def open(self) -> bool:
        return self.mode == OPEN or no_account_yet()
