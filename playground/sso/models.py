"""Which identity-provider groups give which team roles, and which memberships single
sign-on made (only those it may change or take away again)."""

from __future__ import annotations

from django.db import models

from playground.accounts.models import Membership, Role, Team


class GroupRule(models.Model):
    """People in `group` (as the identity provider names it) belong to `team` as `role`.

    Applied at every sign-in through single sign-on (groups.sync_teams); when several rules
    give one team, the highest role wins."""

    group = models.CharField(
        max_length=200, help_text="The group's name as the identity provider sends it."
    )
    provider = models.CharField(
        max_length=50,
        blank=True,
        help_text="Only for sign-ins through this provider (its id); empty: any provider.",
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sso_rules")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = "SSO group rule"
        ordering = ["group", "provider", "team"]
        constraints = [
            models.UniqueConstraint(fields=["group", "provider", "team"], name="sso_rule_unique"),
        ]

    def __str__(self) -> str:
        where = f" ({self.provider})" if self.provider else ""
        return f"{self.group}{where} → {self.team} as {self.role}"


class SsoGrant(models.Model):
    """Marks a membership single sign-on made, and through which provider.

    Kept beside the membership rather than on it: memberships made by invitation or by
    hand have none, so sign-ins never touch them. Goes with its membership (removed by
    hand: the next sign-in may grant it again, when a rule still says so)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="sso_grant"
    )
    provider = models.CharField(max_length=50)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SSO-granted membership"

    def __str__(self) -> str:
        return f"membership {self.membership_id} by {self.provider}"
