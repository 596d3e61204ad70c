"""Staff set a person's tier and monthly budget here (or with `manage.py set_tier` and
`set_budget`): on the person's own admin page, and in lists of everyone with a tier other
than the default, or with a budget."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from playground.limits.models import BudgetWarning, PersonBudget, PersonTier


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


@admin.register(PersonBudget)
class PersonBudgetAdmin(admin.ModelAdmin):
    list_display = ("user", "monthly_budget", "updated")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


class PersonBudgetInline(admin.StackedInline):
    model = PersonBudget
    can_delete = True
    extra = 0
    max_num = 1
    verbose_name_plural = "monthly budget (none: no limit on own spending)"


@admin.register(BudgetWarning)
class BudgetWarningAdmin(admin.ModelAdmin):
    """Which 80 % warnings went out (read-only: deleting one would send it again)."""

    list_display = ("scope", "month", "amount", "message", "created")
    list_filter = ("month",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


User = get_user_model()
if admin.site.is_registered(User):
    base = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:
    base = UserAdmin


@admin.register(User)
class TieredUserAdmin(base):
    inlines = [*base.inlines, PersonTierInline, PersonBudgetInline]
