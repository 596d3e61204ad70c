"""Teams, who belongs to them with which role, invitations, and stored fal keys."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from playground.lib import crypto


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do; checked through `Membership.can(...)`, never by comparing names.
# viewers see; members run and post; admins manage members, keys, rate limits and budgets;
# owners everything.
RIGHTS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"view"}),
    Role.MEMBER: frozenset({"view", "run", "post"}),
    Role.ADMIN: frozenset(
        {"view", "run", "post", "manage_members", "manage_keys", "manage_limits", "curate"}
    ),
    Role.OWNER: frozenset(
        {"view", "run", "post", "manage_members", "manage_keys", "manage_limits", "curate"}
        | {"delete_team"}
    ),
}


class Team(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    # A public page of chosen generations (Generation.in_showcase) for demos.
    showcase_public = models.BooleanField(default=False)
    # US dollars a calendar month (UTC) for everything run for the team (limits/budgets.py).
    monthly_budget = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="US dollars a month for the whole team; empty: no budget.",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Requests a minute when acting for this team, instead of the person's tier
    # (limits/quotas.py); empty: the tier's.
    rate_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Requests a minute for this team; empty: the person's tier.",
    )
    # US dollars a calendar month this person may spend for this team (limits/budgets.py).
    monthly_budget = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="US dollars a month for this person in this team; empty: no budget.",
    )  # fmt: skip
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id} as {self.role}"

    def can(self, right: str) -> bool:
        return right in RIGHTS.get(self.role, frozenset())


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


def default_invite_expiry():
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    """An invite link (email blank) or an emailed invite; either expires and can be revoked.

    Without a team it invites someone to make an account (staff make these, for sign-up
    by invitation); with one, to join the team too. An emailed invite binds to its
    address: only an account with that email accepts it."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(default=default_invite_expiry)
    revoked = models.BooleanField(default=False)
    # Link invites may be used by many people until they expire; email invites once.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        where = f"team {self.team_id}" if self.team_id else "Playground"
        return f"invite to {where} ({self.email or 'link'})"

    @property
    def is_usable(self) -> bool:
        if self.revoked or self.expires <= timezone.now():
            return False
        return not (self.email and self.accepted_at)


class FalCredential(models.Model):
    """A fal key of one person or one team, encrypted at rest; only `last4` is ever shown."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fal_credential",
    )
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="fal_credential"
    )
    encrypted_key = models.TextField()
    last4 = models.CharField(max_length=4)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="credential_has_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"fal key …{self.last4}"

    def set_key(self, key: str) -> None:
        key = key.strip()
        self.encrypted_key = crypto.encrypt(key)
        self.last4 = key[-4:]

    def get_key(self) -> str:
        """Raises crypto.UnreadableSecret when the encryption key changed since."""
        return crypto.decrypt(self.encrypted_key)

    def is_readable(self) -> bool:
        """False when no configured encryption key decrypts it: it must be entered again."""
        try:
            self.get_key()
        except crypto.UnreadableSecret:
            return False
        return True


def membership(user, team_id) -> Membership | None:
    """The user's membership of a team, or None (also for anonymous users)."""
    if not getattr(user, "is_authenticated", False) or team_id is None:
        return None
    return Membership.objects.filter(user=user, team_id=team_id).first()
