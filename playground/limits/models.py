"""A person's rate-limit tier (per-minute requests, as fal's tiers). Teams override it per
member (`Membership.rate_limit`) and per access token (`AccessToken.rate_limit`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Tier(models.TextChoices):
    ANONYMOUS = "anonymous", "Anonymous (demo mode)"
    SIGNED_IN = "signed_in", "Signed in"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise (custom limit)"


def tier_limit(tier: str, custom: int | None = None) -> int:
    """Requests a minute for `tier`; enterprise has its own number (RATE_LIMIT_SIGNED_IN
    when none was set)."""
    if tier == Tier.ENTERPRISE:
        return custom if custom is not None else settings.RATE_LIMIT_SIGNED_IN
    return {
        Tier.ANONYMOUS: settings.RATE_LIMIT_ANONYMOUS,
        Tier.PRO: settings.RATE_LIMIT_PRO,
    }.get(tier, settings.RATE_LIMIT_SIGNED_IN)


class PersonTier(models.Model):
    """Staff set it (admin, `manage.py set_tier`); a person without one is `signed_in`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rate_tier"
    )
    tier = models.CharField(max_length=12, choices=Tier.choices, default=Tier.SIGNED_IN)
    per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests a minute; enterprise tier only."
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rate-limit tier"

    def __str__(self) -> str:
        return f"{self.user} · {self.get_tier_display()}"

    def clean(self) -> None:
        if self.tier == Tier.ENTERPRISE and self.per_minute is None:
            raise ValidationError({"per_minute": "The enterprise tier needs its own limit."})
        if self.tier != Tier.ENTERPRISE and self.per_minute is not None:
            raise ValidationError({"per_minute": "Only the enterprise tier has its own limit."})

    @property
    def limit(self) -> int:
        return tier_limit(self.tier, self.per_minute)
