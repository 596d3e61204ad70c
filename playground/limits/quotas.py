"""How many requests a minute a caller may make, and in which bucket they are counted.

The most specific limit wins: the access token's own (`AccessToken.rate_limit`), else the
person's limit in the team they act for (`Membership.rate_limit`), else the person's tier
(`PersonTier`, `signed_in` by default). Each limit counts in its own bucket, so a token with
its own limit does not use up its holder's minute, nor the other way round. Visitors without
an account (demo mode) count per address: one busy visitor does not use up everyone's minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from playground.lib.memo import Memory
from playground.limits.models import PersonTier, Tier, tier_limit

if TYPE_CHECKING:
    from playground.gateway.models import AccessToken


@dataclass(frozen=True)
class Quota:
    per_minute: int
    bucket: str  # "user:12", "member:12:3", "token:7" or "anonymous:203.0.113.7"


def quota_for(
    user_id: int | None,
    *,
    team_id: int | None = None,
    token: AccessToken | None = None,
    memory_only: bool = False,
    visitor: str = "",
) -> Quota | None:
    """The caller's quota, or None when rate limits are off (RATE_LIMITS_ENABLED).
    `memory_only`: see lib/memo.py (a token's own limit needs no lookup at all).
    `visitor`: who a caller without an account is (demo/visitors.py: their address)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    if token is not None and token.rate_limit is not None:
        return Quota(token.rate_limit, f"token:{token.pk}")
    if user_id is None:
        bucket = f"anonymous:{visitor}" if visitor else "anonymous"
        return Quota(tier_limit(Tier.ANONYMOUS), bucket)
    return _people.recall(
        (user_id, team_id), lambda: _person_quota(user_id, team_id), memory_only=memory_only
    )


def _person_quota(user_id: int, team_id: int | None) -> Quota:
    from playground.accounts.models import Membership

    if team_id is not None:
        override = (
            Membership.objects.filter(user_id=user_id, team_id=team_id)
            .values_list("rate_limit", flat=True)
            .first()
        )
        if override is not None:
            return Quota(override, f"member:{user_id}:{team_id}")
    row = PersonTier.objects.filter(user_id=user_id).first()
    return Quota(row.limit if row else tier_limit(Tier.SIGNED_IN), f"user:{user_id}")


# Remembered for GATEWAY_CACHE_SECONDS, as the gateway's other lookups: an app's calls
# cost no query; a changed tier or override is seen within those seconds.
_people: Memory[Quota] = Memory()


def forget_quotas(**_) -> None:
    """A tier or an override changed in this process: look them up again."""
    _people.clear()
