"""What each endpoint costs: fal's unit price and the unit fal bills in."""

from __future__ import annotations

from django.db import models


class Unit(models.TextChoices):
    """fal's billing units, one spelling each (units.py maps fal's other spellings)."""

    IMAGE = "image", "image"
    MEGAPIXEL = "megapixel", "megapixel"
    SECOND = "second", "second"
    MINUTE = "minute", "minute"
    VIDEO = "video", "video"
    CHARACTER = "character", "character"
    KILO_CHARACTER = "1k characters", "1,000 characters"
    REQUEST = "request", "request"
    COMPUTE_SECOND = "compute second", "compute second"


class PriceSource(models.TextChoices):
    BUNDLED = "bundled", "Bundled list price"
    FAL = "fal", "fal's pricing API"
    ADMIN = "admin", "Set in the admin"  # never overwritten by a sync


class Price(models.Model):
    endpoint_id = models.CharField(max_length=255, unique=True)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=6, help_text="US dollars for one unit."
    )
    source = models.CharField(max_length=10, choices=PriceSource.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["endpoint_id"]

    def __str__(self) -> str:
        return f"{self.endpoint_id}: ${self.unit_price.normalize():f} per {self.get_unit_display()}"


# Upper bounds (ms, exclusive) of the latency histogram kept per roll-up row; the last
# bucket has none. Percentiles are read from it (usage/report.py), to within a bucket.
LATENCY_BOUNDS_MS = (
    50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000,
    4000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000,
)  # fmt: skip
LATENCY_BUCKETS = tuple(f"lat_{i:02}" for i in range(len(LATENCY_BOUNDS_MS) + 1))


class UsageDay(models.Model):
    """The request log (gateway.RequestLog) added up per day and per who, how and what:
    what the usage page reads, so it never scans the log. Kept in step as rows are
    logged and updated (usage/rollup.py); `manage.py rebuild_usage` recomputes it.

    Who is an id, 0 for none (a browser session has no token, a person's own call no
    team): plain integers rather than foreign keys, so the key has no NULLs and one
    upsert finds its row on every database."""

    day = models.DateField()
    user_id = models.IntegerField(default=0)
    team_id = models.IntegerField(default=0)
    token_id = models.IntegerField(default=0)
    endpoint_id = models.CharField(max_length=255, blank=True)
    entrance = models.CharField(max_length=12)
    requests = models.IntegerField(default=0)
    # Signed counters (not Positive…): a correction may subtract.
    errors = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    latency_count = models.IntegerField(default=0)
    latency_sum = models.BigIntegerField(default=0)
    queue_count = models.IntegerField(default=0)
    queue_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "user_id", "team_id", "token_id", "endpoint_id", "entrance"],
                name="usage_day_key",
            )
        ]
        indexes = [
            models.Index(fields=["user_id", "day"], name="usage_day_user"),
            models.Index(fields=["team_id", "day"], name="usage_day_team"),
            # A token's month spend (limits/budgets.py).
            models.Index(fields=["token_id", "day"], name="usage_day_token"),
        ]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} {self.endpoint_id}: {self.requests}"


# One counter per latency bucket, added in a loop rather than spelled out twenty times.
for _name in LATENCY_BUCKETS:
    UsageDay.add_to_class(_name, models.IntegerField(default=0))
