"""Admin for the catalog: staff see who added an endpoint by id and can remove one (its
generations keep their endpoint id). Schemas are read-only here: re-import to change them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from playground.catalog.models import Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("endpoint_id", "title", "group", "source", "added_by", "updated")
    list_filter = ("source", "group")
    search_fields = ("endpoint_id", "title")
    fields = ("endpoint_id", "title", "description", "category", "group", "source", "modes")
    readonly_fields = ("endpoint_id", "category", "group", "source", "modes")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # endpoints come from imports, sync_catalog and "Add an endpoint"

    @admin.display(description="Added by (user id)")
    def added_by(self, endpoint: Endpoint) -> object:
        return (endpoint.metadata or {}).get("added_by", "—")
