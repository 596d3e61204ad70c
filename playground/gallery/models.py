"""Saved presets: a named form input of one model, the person's own or shared with a team."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Preset(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presets"
    )
    # Shared with every member of the team when set; members may use it, its owner and the
    # team's admins may change or delete it.
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="presets"
    )
    endpoint_id = models.CharField(max_length=200)
    name = models.CharField(max_length=80)
    input = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["endpoint_id", "name", "id"]
        indexes = [models.Index(fields=["endpoint_id", "owner"], name="preset_by_model")]

    def __str__(self) -> str:
        return f"{self.endpoint_id}: {self.name}"
