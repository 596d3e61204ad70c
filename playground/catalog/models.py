from __future__ import annotations

from django.db import models


class Mode(models.TextChoices):
    QUEUE = "queue", "Queue"
    RUN = "run", "Sync run"
    STREAM = "stream", "Streaming"
    REALTIME = "realtime", "Realtime"


class Source(models.TextChoices):
    BUNDLED = "bundled", "Bundled"
    IMPORTED = "imported", "Imported"
    SYNCED = "synced", "Synced from fal"


class EndpointQuerySet(models.QuerySet):
    def by_endpoint_id(self, endpoint_id: str) -> Endpoint | None:
        return self.filter(endpoint_id=endpoint_id).first()


class Endpoint(models.Model):
    """One fal model endpoint with its self-contained input and output JSON Schemas."""

    endpoint_id = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=40, db_index=True)
    description = models.TextField(blank=True)
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    schema_sha = models.CharField(max_length=64)
    modes = models.JSONField(default=list)
    metadata = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORTED)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["endpoint_id"]

    def __str__(self) -> str:
        return self.endpoint_id

    @property
    def owner(self) -> str:
        return self.endpoint_id.split("/", 1)[0]
