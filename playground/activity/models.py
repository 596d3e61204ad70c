"""The team activity log: who did what in a team, when. Append-only.

Rows are written through `actions.record` and never changed or removed by the app (the
queryset and the model refuse it, the admin is read-only); they go only with their team.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from playground.accounts.models import Team


class Action(models.TextChoices):
    """What happened. Labels are read after the person's name: "alice ran a model"."""

    RUN_STARTED = "run.started", "ran a model"
    TOKEN_CREATED = "token.created", "created a team token"
    TOKEN_REVOKED = "token.revoked", "revoked a team token"
    TEAM_KEY_SET = "key.set", "set the team fal key"
    TEAM_KEY_REMOVED = "key.removed", "removed the team fal key"
    MEMBER_INVITED = "member.invited", "invited people"
    INVITATION_REVOKED = "invitation.revoked", "revoked an invitation"
    MEMBER_JOINED = "member.joined", "joined the team"
    MEMBER_REMOVED = "member.removed", "removed a member"
    MEMBER_LEFT = "member.left", "left the team"
    ROLE_CHANGED = "role.changed", "changed a role"
    BUDGET_CHANGED = "budget.changed", "changed a budget"
    LIMIT_CHANGED = "limit.changed", "changed a rate limit"
    SHOWCASE_PUBLISHED = "showcase.published", "published the showcase"
    SHOWCASE_WITHDRAWN = "showcase.withdrawn", "withdrew the showcase"
    SHOWCASE_ADDED = "showcase.added", "put a generation on the showcase"
    SHOWCASE_REMOVED = "showcase.removed", "took a generation off the showcase"
    TEAM_CREATED = "team.created", "created the team"
    TEAM_RENAMED = "team.renamed", "renamed the team"


class AppendOnly(Exception):
    """Something tried to change or delete an activity entry."""


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("The activity log is append-only.")

    def delete(self):
        raise AppendOnly("The activity log is append-only.")


class Entry(models.Model):
    # No index of its own: the indexes below all start with the team.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="activity", db_index=False
    )
    # SET_NULL: the entry outlives the account; `actor_name` still says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    # An Action's value; no `choices` on the field, so a new Action needs no migration.
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=200, blank=True)  # what it was done to, in words
    target_url = models.CharField(max_length=300, blank=True)  # its page, when it has one
    # Decimal and datetime values (budgets, expiries) are welcome: stored as strings.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created = models.DateTimeField(default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = "activity entry"
        verbose_name_plural = "activity entries"
        ordering = ["-created", "-id"]
        # Keyset pages newest first, for the whole team and filtered by person or action.
        indexes = [
            models.Index(fields=["team", "-created", "-id"], name="activity_team_recent"),
            models.Index(fields=["team", "actor", "-created", "-id"], name="activity_team_actor"),
            models.Index(fields=["team", "action", "-created", "-id"], name="activity_team_action"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or 'someone'} {self.action_label} {self.target}".strip()

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The activity log is append-only.")

    @property
    def action_label(self) -> str:
        try:
            return Action(self.action).label
        except ValueError:  # an action this version does not know (written by a newer one)
            return self.action
