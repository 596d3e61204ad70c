"""Admin for teams, memberships and invitations. Stored fal keys show only their last four
characters: the encrypted value is neither shown nor editable, and keys are added in the app."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from playground.accounts.models import FalCredential, Invitation, Membership, Team
from playground.limits.actions import record_admin_edit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("joined",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "showcase_public", "monthly_budget", "created")
    list_filter = ("showcase_public",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    # Budget and rate-limit edits go to the team's activity log, as on its own pages.
    def save_model(self, request: HttpRequest, obj: Team, form, change: bool) -> None:
        record_admin_edit(actor=request.user, form=form, team=obj, target="the team")
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        for member_form in formset.forms:
            if member_form.instance.pk and member_form.has_changed():
                member = member_form.instance
                record_admin_edit(actor=request.user, form=member_form, team=member.team,
                                  target=member.user.get_username())  # fmt: skip
        super().save_formset(request, form, formset, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role", "rate_limit", "monthly_budget", "joined")
    list_filter = ("role",)
    search_fields = ("user__username", "team__name", "team__slug")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user", "team")

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        record_admin_edit(actor=request.user, form=form, team=obj.team,
                          target=obj.user.get_username())  # fmt: skip
        super().save_model(request, obj, form, change)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("team", "email", "role", "created_by", "expires", "revoked", "accepted_at")
    list_filter = ("role", "revoked")
    search_fields = ("team__name", "email")
    list_select_related = ("team", "created_by")
    readonly_fields = ("token", "created", "accepted_by", "accepted_at")
    fields = ("team", "email", "role", "expires", "revoked", "created_by", *readonly_fields)
    autocomplete_fields = ("team", "created_by")


@admin.register(FalCredential)
class FalCredentialAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "team", "updated")
    list_select_related = ("user", "team")
    search_fields = ("user__username", "team__name")
    # Never `encrypted_key`: not in lists, forms or read-only fields.
    fields = ("user", "team", "last4", "created", "updated")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
