"""Staff look up experiments (who ran what, where it stands); changes go through the site."""

from __future__ import annotations

from django.contrib import admin

from playground.experiments.models import Experiment


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "owner", "team", "endpoint_id", "kind", "status", "created")
    list_filter = ("status", "kind", "visibility")
    search_fields = ("title", "endpoint_id", "owner__username")
    list_select_related = ("owner", "team")
    readonly_fields = ("code", "model", "cells", "axes", "spec", "base_input", "next_cell")
    raw_id_fields = ("owner", "team")
