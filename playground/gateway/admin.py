"""Access tokens in the admin: staff see them (never their hash) and set a token's own rate
limit and monthly budget; tokens are made and revoked by their holders (`/accounts/tokens/`)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from playground.gateway.models import AccessToken


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
