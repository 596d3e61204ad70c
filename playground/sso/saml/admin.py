from __future__ import annotations

from django.contrib import admin

from playground.sso.saml.models import SamlIdentity


@admin.register(SamlIdentity)
class SamlIdentityAdmin(admin.ModelAdmin):
    """Read-only but deletable: removing a row makes the next sign-in of that person a
    first one again (a new account, or linking by e-mail when allowed)."""

    list_display = ["subject", "provider", "user", "created", "last_sign_in"]
    list_filter = ["provider"]
    search_fields = ["subject", "user__username"]
    readonly_fields = ["provider", "subject", "user", "created", "last_sign_in"]

    def has_add_permission(self, request) -> bool:
        return False
