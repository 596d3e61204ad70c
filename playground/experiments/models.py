"""Experiments: many runs planned from one form (seeds, prompts, sweeps, models), shown as
a grid. Its runs are ordinary generations that know their experiment and cell
(`Generation.experiment`, `Generation.experiment_cell`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from playground.jobs.models import Visibility


class ExperimentStatus(models.TextChoices):
    RUNNING = "running", "Running"  # cells are submitted as in-flight slots free up
    PAUSED = "paused", "Paused"  # nothing new is submitted; runs already sent go on
    CANCELLED = "cancelled", "Cancelled"
    FINISHED = "finished", "Finished"  # every cell submitted and ended


class ExperimentQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ExperimentQuerySet:
        """The person's own, and those posted to a team they belong to."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        team_ids = user.memberships.values("team_id")
        return self.filter(Q(owner=user) | Q(team_id__in=team_ids))


class Experiment(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="experiments"
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experiments",
    )
    # The model whose form started it; `endpoint_id` keeps fal's id as text, as Generation.
    model = models.ForeignKey(
        "catalog.Endpoint", null=True, on_delete=models.SET_NULL, related_name="experiments"
    )
    endpoint_id = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10)  # plan.Plan.kind: seeds, prompts, sweep, models
    spec = models.JSONField()  # what the form asked for (plan.plan_experiment's spec)
    base_input = models.JSONField(default=dict)
    # plan.Plan.axes as [{"key", "label", "values", "value_labels"}], x first.
    axes = models.JSONField(default=list)
    # Every planned cell, [{"coords", "endpoint_id", "input"}], row-major; cells before
    # `next_cell` have been submitted. Stored, so a restart loses nothing still to run.
    cells = models.JSONField(default=list)
    next_cell = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)  # plan.Plan.notes
    status = models.CharField(
        max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.RUNNING
    )
    status_note = models.CharField(max_length=300, blank=True)  # why it paused by itself
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    share_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ExperimentQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created", "-id"], name="exp_by_owner"),
            models.Index(fields=["status"], name="exp_by_status"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.kind} on {self.endpoint_id}"

    def get_absolute_url(self) -> str:
        return reverse("experiments:grid", args=[self.code])

    @property
    def group_name(self) -> str:
        return f"experiment.{self.code}"

    @property
    def size(self) -> int:
        return len(self.cells)

    @property
    def submitted_all(self) -> bool:
        return self.next_cell >= len(self.cells)

    @property
    def is_open(self) -> bool:
        """Running or paused: it may still submit runs."""
        return self.status in (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED)


def cell_key(coords: Any) -> str:
    """Coordinates as stored on a generation: "2,0" or "1,3,0"."""
    return ",".join(str(int(c)) for c in coords)
