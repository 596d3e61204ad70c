"""Personal access tokens for the gateway, and the log of every fal request through it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class AccessToken(models.Model):
    """A secret a person's own apps send as `Authorization: Key <token>` (or Bearer).

    Only a SHA-256 of the token is stored (it is 256 random bits, so a slow hash adds
    nothing); it is shown once, when created. With a team, calls use and bill the team's
    fal key, as long as the person may still run for that team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(max_length=80, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    # Requests a minute through this token, counted apart from its holder's (limits/).
    rate_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests a minute; empty: its holder's limit."
    )
    # US dollars a calendar month through this token (limits/budgets.py).
    monthly_budget = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="US dollars a month through this token; empty: no budget of its own.",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.label or 'token'} …{self.last4}"

    @property
    def active(self) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > timezone.now())


class Entrance(models.TextChoices):
    PLAYGROUND = "playground", "Playground"
    PROXY = "proxy", "Proxy (proxyUrl)"
    GATEWAY = "gateway", "Gateway route"
    REALTIME = "realtime", "Realtime"


STORED_TEXT_LIMIT = 64 * 1024


class RequestLog(models.Model):
    """One row per fal request: the submit (or sync run, upload, token) that created it,
    with the polls, streams, result fetches and cancels of the same fal request id counted
    on it rather than logged as rows of their own."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey(AccessToken, null=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entrance = models.CharField(max_length=12, choices=Entrance.choices)
    kind = models.CharField(max_length=10)  # targets.Kind
    endpoint_id = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=100, blank=True, db_index=True)
    method = models.CharField(max_length=8)
    status = models.PositiveSmallIntegerField(null=True)  # fal's answer to the first call
    state = models.CharField(max_length=16, blank=True)  # last queue state seen
    latency_ms = models.PositiveIntegerField(null=True)
    queue_ms = models.PositiveIntegerField(null=True)
    bytes_in = models.BigIntegerField(default=0)
    bytes_out = models.BigIntegerField(default=0)
    billable_units = models.FloatField(null=True)
    # billable_units x the endpoint's unit price when logged (usage/prices.py), in USD.
    cost = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    follow_ups = models.PositiveIntegerField(default=0)  # polls, streams, results, cancels
    error = models.TextField(blank=True)
    # What went in and came out, as JSON text, cut at STORED_TEXT_LIMIT characters.
    input_text = models.TextField(blank=True)
    output_text = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["user", "-created", "-id"], name="gateway_log_user_recent"),
            models.Index(fields=["team", "-created", "-id"], name="gateway_log_team_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint_id or self.kind} {self.status}"

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400 and not self.error
