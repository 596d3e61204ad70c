"""Staff map identity-provider groups to teams and roles here."""

from __future__ import annotations

from django.contrib import admin

from playground.sso.models import GroupRule


@admin.register(GroupRule)
class GroupRuleAdmin(admin.ModelAdmin):
    list_display = ("group", "provider", "team", "role")
    list_filter = ("role", "provider", "team")
    search_fields = ("group", "provider", "team__name", "team__slug")
    list_select_related = ("team",)
    autocomplete_fields = ("team",)
