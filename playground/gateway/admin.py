"""Access tokens in the admin: staff see them (never their hash) and set a token's own rate
limit and monthly budget; tokens are made and revoked by their holders (`/accounts/tokens/`)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from playground.gateway.models import AccessToken
from playground.limits.actions import record_admin_edit


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = (
        "__str__", "user", "team", "rate_limit", "monthly_budget", "expires", "revoked",
        "last_used",
    )  # fmt: skip
    list_select_related = ("user", "team")
    search_fields = ("user__username", "label", "last4")
    fields = (
        "user", "team", "label", "last4", "rate_limit", "monthly_budget", "expires", "revoked",
        "last_used",
    )  # fmt: skip
    readonly_fields = ("user", "team", "label", "last4", "expires", "revoked", "last_used")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AccessToken, form, change: bool) -> None:
        # As on the team's Limits and budgets page: a team token's changes go to its log.
        record_admin_edit(actor=request.user, form=form, team=obj.team, target=f"token {obj}")
        super().save_model(request, obj, form, change)
