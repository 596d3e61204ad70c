"""Generations: one run of a model by a person, and everything that happened to it."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Status(models.TextChoices):
    PENDING = "pending", "Pending"  # a row, not yet sent to fal
    QUEUED = "queued", "In queue"  # fal has it (request id stored), waiting for a runner
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (Status.PENDING, Status.QUEUED, Status.RUNNING)
FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)


class Mode(models.TextChoices):
    QUEUE = "queue", "Queue"
    RUN = "run", "Sync run"
    STREAM = "stream", "Stream"
    REALTIME = "realtime", "Realtime"  # a frame saved from the realtime playground


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"  # the owner only
    TEAM = "team", "Team"  # members of its team
    LINK = "link", "Anyone with the link"  # plus a read-only page at /s/<share_token>
    PUBLIC = "public", "Public"  # anyone, listed on public pages


class GenerationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> GenerationQuerySet:
        """What `user` may see when signed in: their own, and what is posted to a team they
        belong to. Link and public shares are reached through their own pages."""
        if not user.is_authenticated:
            return self.none()
        team_ids = user.memberships.values("team_id")
        return self.filter(Q(owner=user) | Q(team_id__in=team_ids), deleted_at__isnull=True)

    def with_model(self) -> GenerationQuerySet:
        """With the catalog entry's title and kind, without its large schemas: a panel or
        a list needs the name, and parsing two JSON schemas per row costs milliseconds."""
        heavy = ("input_schema", "output_schema", "metadata", "search_text", "description")
        return self.select_related("model").defer(*(f"model__{name}" for name in heavy))

    def active(self) -> GenerationQuerySet:
        return self.filter(status__in=ACTIVE)


class Generation(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    # The catalog entry run; `endpoint_id` keeps fal's id as text too, because the catalog
    # may drop or rename an endpoint and history must not change.
    model = models.ForeignKey(
        "catalog.Endpoint", null=True, on_delete=models.SET_NULL, related_name="generations"
    )
    endpoint_id = models.CharField(max_length=200)
    # Posted to a team: its members see it, its key pays for it (DESIGN.md key resolution).
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.QUEUE)
    input = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    fal_request_id = models.CharField(max_length=100, blank=True, db_index=True)
    queue_position = models.IntegerField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    # {"message", "type", "status_code", "field_errors": {path: [msg]}}: shown in plain words.
    error = models.JSONField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # fal's billable units (x-fal-billable-units) and what they cost at the price of the
    # time (playground/usage); None when fal did not say or no price is known.
    billable_units = models.FloatField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    # The runner's lease: whoever holds an unexpired lease tracks this generation.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    submitted = models.DateTimeField(null=True, blank=True)
    # --- the gallery ---
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # Unguessable, revocable (set to None) link for `/s/<token>`; only with LINK or PUBLIC.
    share_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    favorite = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)  # ["portrait", "v2"], lower-case
    in_showcase = models.BooleanField(default=False)  # on its team's public showcase
    # What the run made (an OutputKind, from its first output file or its text), for the
    # gallery's Media filter without a join; written when its outputs are stored.
    media_kind = models.CharField(max_length=10, blank=True)
    # Prompt, other text inputs, tags and notes, lower-cased: the SQLite search fallback and
    # the source of Postgres' full-text index.
    search_text = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # soft delete, undoable
    # --- experiments ---
    # The experiment that planned this run, and its cell there ("x,y,z" indexes into the
    # axes). SET_NULL: deleting an experiment keeps its runs, which were paid for and are
    # ordinary generations (gallery, reuse, compare).
    experiment = models.ForeignKey(
        "experiments.Experiment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    experiment_cell = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "lease_until"], name="gen_claimable"),
            models.Index(fields=["owner", "endpoint_id", "-created"], name="gen_recent_by_model"),
            # Gallery pages: keyset pagination on (created, id) within an owner or a team.
            models.Index(fields=["owner", "-created", "-id"], name="gen_gallery_owner"),
            models.Index(fields=["team", "-created", "-id"], name="gen_gallery_team"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or {"input", "tags", "notes", "endpoint_id"} & set(fields):
            self.search_text = build_search_text(self)
            if fields is not None:
                kwargs["update_fields"] = {*fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.code])

    @property
    def group_name(self) -> str:
        return f"generation.{self.code}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def elapsed_seconds(self) -> float | None:
        if not self.started:
            return None
        end = self.finished or timezone.now()
        return (end - self.started).total_seconds()


def build_search_text(generation: Generation) -> str:
    """Every string a person may search for, prompt first, lower-cased, capped."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if not value.startswith(("http://", "https://", "data:")):
                parts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    data = generation.input if isinstance(generation.input, dict) else {}
    walk(data.get("prompt", ""))
    walk({k: v for k, v in data.items() if k != "prompt"})
    walk(list(generation.tags or []))
    walk(generation.notes or "")
    walk(generation.endpoint_id)
    return " ".join(parts).lower()[:4000]


class EventKind(models.TextChoices):
    STATUS = "status", "Status"
    LOG = "log", "Log"
    RETRY = "retry", "Retrying"
    PARTIAL = "partial", "Partial output"
    ERROR = "error", "Error"


class GenerationEvent(models.Model):
    """What happened, in order: replayed to every browser that opens the generation."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    payload = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["generation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "seq"], name="event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.generation_id}#{self.seq} {self.kind}"


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    TEXT = "text", "Text"
    FILE = "file", "File"


class OutputKind(models.TextChoices):
    """What a generation made, as the gallery filters it (`Generation.media_kind`)."""

    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    TEXT = "text", "Text"
    MESH = "3d", "3D"
    OTHER = "other", "Other"


def asset_path(asset: MediaAsset, filename: str) -> str:
    return f"generations/{asset.generation.code}/{filename}"


class MediaAsset(models.Model):
    """An output file copied into our storage: fal's URLs expire, the gallery must not."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="assets")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    file = models.FileField(upload_to=asset_path, max_length=300)
    thumbnail = models.FileField(upload_to=asset_path, max_length=300, blank=True)
    source_url = models.URLField(max_length=2000)
    output_path = models.CharField(max_length=200, blank=True)  # e.g. "images.0"
    content_type = models.CharField(max_length=100)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["generation", "position"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file.name}"
