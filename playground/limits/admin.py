"""Staff set a person's tier here (or with `manage.py set_tier`): on the person's own admin
page, and in a list of everyone with a tier other than the default."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from playground.limits.models import PersonTier


@admin.register(PersonTier)
class PersonTierAdmin(admin.ModelAdmin):
    list_display = ("user", "tier", "per_minute", "updated")
    list_filter = ("tier",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


class PersonTierInline(admin.StackedInline):
    model = PersonTier
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = "rate-limit tier (none: signed in)"


User = get_user_model()
if admin.site.is_registered(User):
    base = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:
    base = UserAdmin


@admin.register(User)
class TieredUserAdmin(base):
    inlines = [*base.inlines, PersonTierInline]
