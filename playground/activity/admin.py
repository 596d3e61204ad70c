"""The activity log in the admin: readable and searchable, never added to, changed or
deleted (it is append-only; entries go only with their team)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from playground.activity.models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("created", "team", "actor_name", "action", "target")
    list_filter = ("action",)
    search_fields = ("team__name", "team__slug", "actor_name", "target")
    list_select_related = ("team",)
    date_hierarchy = "created"
    fields = ("created", "team", "actor", "actor_name", "action", "target", "target_url", "details")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
