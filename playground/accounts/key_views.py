"""Stored fal keys: a person's own (/accounts/keys/) and a team's (on the team page).

Both use one form (FalKeyForm) and one partial (accounts/_fal_key.html). A key is entered
once and only its last four characters are ever shown; no page, message or log line
carries the key itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from playground.accounts import actions
from playground.accounts.forms import FalKeyForm
from playground.accounts.models import FalCredential, Membership, Team

KEY_PARTIAL = "accounts/_fal_key.html"


def key_context(
    *,
    credential: FalCredential | None,
    can_manage: bool,
    set_url: str,
    remove_url: str,
    team: Team | None = None,
    form: FalKeyForm | None = None,
) -> dict:
    """What accounts/_fal_key.html needs, for a person's key (team=None) or a team's.
    A team key's last four characters are shown only to those who manage it."""
    return {
        "credential": credential,
        "credential_readable": credential is None or credential.is_readable(),
        "show_last4": can_manage,
        "server_key_fallback": settings.SERVER_KEY_FALLBACK,
        "key_form": form or FalKeyForm(),
        "can_manage_keys": can_manage,
        "key_set_url": set_url,
        "key_remove_url": remove_url,
        "key_team": team,
        "fal_mode": settings.FAL_MODE,
    }


def _personal_context(request: HttpRequest, form: FalKeyForm | None = None) -> dict:
    return key_context(
        credential=FalCredential.objects.filter(user=request.user).first(),
        can_manage=True,
        set_url=reverse("fal_keys"),
        remove_url=reverse("fal_key_remove"),
        form=form,
    )


def _respond(request: HttpRequest, context: dict, page: str, page_context: dict) -> HttpResponse:
    if request.htmx:
        return render(request, KEY_PARTIAL, context)
    return render(request, page, {**page_context, **context})


@login_required
@sensitive_post_parameters("key")
@require_http_methods(["GET", "HEAD", "POST"])
def fal_keys(request: HttpRequest) -> HttpResponse:
    """Set, replace or see (last four characters only) your personal fal key."""
    form = FalKeyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        credential = actions.set_fal_key(key=form.cleaned_data["key"], user=request.user)
        messages.success(request, f"Your fal key ending in {credential.last4} is saved.")
        if not request.htmx:
            return redirect("fal_keys")
        form = None
    teams = (
        Membership.objects.filter(user=request.user)
        .select_related("team")
        .annotate(has_key=Exists(FalCredential.objects.filter(team_id=OuterRef("team_id"))))
        .order_by("team__name", "team_id")
    )
    return _respond(
        request,
        _personal_context(request, form),
        "accounts/fal_keys.html",
        {"memberships": teams},
    )


@login_required
@require_POST
def fal_key_remove(request: HttpRequest) -> HttpResponse:
    if actions.remove_fal_key(user=request.user):
        messages.success(request, "Your fal key was removed.")
    else:
        messages.info(request, "You had no fal key stored.")
    if request.htmx:
        return render(request, KEY_PARTIAL, _personal_context(request))
    return redirect("fal_keys")
