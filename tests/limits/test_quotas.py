"""Whose limit applies: token override > team member override > the person's tier."""

from __future__ import annotations

import pytest

from playground.accounts.models import Membership
from playground.gateway import tokens
from playground.limits import counter
from playground.limits.models import PersonTier, Tier
from playground.limits.quotas import Quota, quota_for

pytestmark = pytest.mark.django_db


def test_a_person_without_a_tier_has_the_signed_in_limit(rate_limits, alice):
    assert quota_for(alice.pk) == Quota(2, f"user:{alice.pk}")


def test_default_tiers_are_fals(settings, alice):
    settings.RATE_LIMITS_ENABLED = True
    from django.conf import settings as live

    assert (live.RATE_LIMIT_ANONYMOUS, live.RATE_LIMIT_SIGNED_IN, live.RATE_LIMIT_PRO) == (
        20,
        100,
        500,
    )


@pytest.mark.parametrize(
    ("tier", "custom", "expected"),
    [(Tier.PRO, None, 5), (Tier.ENTERPRISE, 1234, 1234), (Tier.ANONYMOUS, None, 1)],
)
def test_the_tier_sets_the_limit(rate_limits, alice, tier, custom, expected):
    PersonTier.objects.create(user=alice, tier=tier, per_minute=custom)

    assert quota_for(alice.pk).per_minute == expected


def test_anonymous_callers_share_the_anonymous_limit(rate_limits):
    assert quota_for(None) == Quota(1, "anonymous")


def test_each_visitor_has_an_anonymous_bucket_of_their_own(rate_limits):
    assert quota_for(None, visitor="203.0.113.7") == Quota(1, "anonymous:203.0.113.7")


def test_a_team_override_applies_when_acting_for_that_team(rate_limits, alice, team):
    PersonTier.objects.create(user=alice, tier=Tier.PRO)
    Membership.objects.filter(user=alice, team=team).update(rate_limit=7)

    assert quota_for(alice.pk, team_id=team.pk) == Quota(7, f"member:{alice.pk}:{team.pk}")
    assert quota_for(alice.pk) == Quota(5, f"user:{alice.pk}")  # on her own: her tier


def test_a_member_without_override_keeps_the_tier_in_the_team(rate_limits, alice, team):
    assert quota_for(alice.pk, team_id=team.pk) == Quota(2, f"user:{alice.pk}")


def test_a_token_override_beats_the_member_override(rate_limits, alice, team):
    Membership.objects.filter(user=alice, team=team).update(rate_limit=7)
    token = tokens.mint(alice, label="ci", team=team).token
    token.rate_limit = 3
    token.save()

    assert quota_for(alice.pk, team_id=team.pk, token=token) == Quota(3, f"token:{token.pk}")
    token.rate_limit = None
    assert quota_for(alice.pk, team_id=team.pk, token=token).per_minute == 7


def test_limits_off_means_no_quota(settings, alice):
    settings.RATE_LIMITS_ENABLED = False

    assert quota_for(alice.pk) is None
    counter.hit(None)  # nothing to count, nothing raised


def test_a_changed_tier_counts_at_once_even_when_remembered(rate_limits, alice):
    rate_limits.GATEWAY_CACHE_SECONDS = 60
    assert quota_for(alice.pk).per_minute == 2

    PersonTier.objects.create(user=alice, tier=Tier.PRO)

    assert quota_for(alice.pk).per_minute == 5


def test_the_third_hit_of_two_a_minute_is_refused_with_the_seconds_to_wait(rate_limits, alice):
    quota = quota_for(alice.pk)
    counter.hit(quota)
    counter.hit(quota)

    with pytest.raises(counter.Limited) as refused:
        counter.hit(quota)

    assert 1 <= refused.value.retry_after <= 60
    assert refused.value.headers == (("Retry-After", str(refused.value.retry_after)),)
    assert "2 requests a minute" in str(refused.value)
    assert "Try again in" in str(refused.value)


def test_buckets_are_apart(rate_limits, alice, charlie):
    for _ in range(2):
        counter.hit(quota_for(alice.pk))

    counter.hit(quota_for(charlie.pk))  # charlie's minute is his own
    with pytest.raises(counter.Limited):
        counter.hit(quota_for(alice.pk))


def test_without_its_redis_the_limiter_lets_requests_through_and_says_so(rate_limits, caplog):
    import asyncio

    kept, rate_limits.REDIS_URL = rate_limits.REDIS_URL, "redis://127.0.0.1:9/0"  # no one there
    quota = Quota(1, "user:no-redis")
    try:
        for _ in range(3):
            counter.hit(quota)
            asyncio.run(counter.ahit(quota))
    finally:
        rate_limits.REDIS_URL = kept  # so the fixture's own reset reaches its storage

    assert "rate limits not counted" in caplog.text
