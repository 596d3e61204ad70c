"""A person's rate-limit tier (per-minute requests, as fal's tiers). Teams override it per
member (`Membership.rate_limit`) and per access token (`AccessToken.rate_limit`).

Monthly budgets (budgets.py): a person's own (`PersonBudget`, set by staff), a team's, a
member's and a token's (fields of those models); `BudgetWarning` remembers that the 80 %
warning of a budget went out for a month, `BudgetNotice` shows it to each person concerned
until they dismiss it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
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


class PersonBudget(models.Model):
    """What a person may spend a calendar month on their own account (not for a team: team
    admins budget that). Staff set it (admin, `manage.py set_budget --user`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_budget = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))],
        help_text="US dollars a month spent on the person's own account.",
    )  # fmt: skip
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "monthly budget"

    def __str__(self) -> str:
        return f"{self.user} · ${self.monthly_budget} a month"


class BudgetWarning(models.Model):
    """The 80 % warning of one budget in one month, at one amount: made once (the unique
    key), so its email goes out once whichever process sees the spend first. A budget
    raised during the month is warned about again at 80 % of its new amount."""

    scope = models.CharField(max_length=40)  # budgets.Budget.scope: "team:3", "token:7"…
    month = models.DateField()  # the month's first day
    # The budget when it was warned about (empty for warnings made before it was kept).
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    message = models.CharField(max_length=300)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "month", "amount"], name="budget_warning_once_per_amount"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.month:%Y-%m}"


class BudgetNotice(models.Model):
    """A warning shown in the app to one person, until they dismiss it."""

    warning = models.ForeignKey(BudgetWarning, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budget_notices"
    )
    dismissed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warning", "user"], name="budget_notice_once")
        ]
        indexes = [models.Index(fields=["user", "dismissed"], name="budget_notice_open")]

    def __str__(self) -> str:
        return f"{self.warning} for {self.user_id}"
