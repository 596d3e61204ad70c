"""Minting and checking personal access tokens (models.AccessToken)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from playground.accounts.models import Membership, Team
from playground.activity.actions import record
from playground.activity.models import Action
from playground.gateway.models import AccessToken
from playground.lib.memo import Memory

PREFIX = "pgt_"
# Recording every use would write on every call; once a minute is enough to show "last used".
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenRefused(ValueError):
    """A token cannot be made as asked (the message is meant for the person)."""


@dataclass(frozen=True)
class Minted:
    token: AccessToken
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mint(
    user, *, label: str = "", team: Team | None = None, expires: datetime | None = None
) -> Minted:
    if team is not None and not _may_run_for(user.pk, team.pk):
        raise TokenRefused(f"You cannot run models for the team {team.name}.")
    if expires is not None and expires <= timezone.now():
        raise TokenRefused("The expiry date is in the past.")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=user,
            team=team,
            label=label.strip()[:80],
            token_hash=digest(secret),
            last4=secret[-4:],
            expires=expires,
        )
        if team is not None:
            _record(token, user, Action.TOKEN_CREATED)
    return Minted(token, secret)


def _record(token: AccessToken, actor, action: Action) -> None:
    """A team token in its team's activity log, named by its label and last four."""
    details = {"label": token.label, "last4": token.last4, "expires": token.expires}
    record(token.team_id, actor, action, target=str(token), details=details)


# Tokens recently seen, by digest: an app polling a request checks its token on every
# call (memo.py). A revocation here clears the memory at once.
_recent: Memory[AccessToken] = Memory()


def forget_tokens(**_) -> None:
    """A token was changed in this process (e.g. its rate limit in the admin)."""
    _recent.clear()


def holder_of(secret: str, *, memory_only: bool = False) -> AccessToken | None:
    """The active token whose secret this is, with its user and team; None otherwise
    (unknown, revoked, expired, or its team no longer lets the person run)."""
    if not secret.startswith(PREFIX):
        return None
    key = digest(secret)
    token = _recent.recall(key, lambda: _lookup(key), memory_only=memory_only)
    return token if token is not None and token.active else None


def _lookup(key: str) -> AccessToken | None:
    token = (
        AccessToken.objects.select_related("user", "team")
        .filter(token_hash=key, user__is_active=True)
        .order_by()
        .first()
    )
    if token is None or not token.active:
        return None
    if token.team_id is not None and not _may_run_for(token.user_id, token.team_id):
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_GRANULARITY:
        AccessToken.objects.filter(pk=token.pk).update(last_used=now)
    return token


def revoke(user, token_id: int) -> bool:
    """Revoke one of `user`'s active tokens; False when there is no such token."""
    _recent.clear()
    with transaction.atomic():
        token = (
            AccessToken.objects.select_for_update()
            .filter(user=user, pk=token_id, revoked__isnull=True)
            .first()
        )
        if token is None:
            return False
        AccessToken.objects.filter(pk=token.pk).update(revoked=timezone.now())
        if token.team_id is not None:
            _record(token, user, Action.TOKEN_REVOKED)
    return True


def _may_run_for(user_id: int, team_id: int) -> bool:
    membership = Membership.objects.filter(user_id=user_id, team_id=team_id).first()
    return membership is not None and membership.can("run")
