"""Saved presets: a name for a model form's current input, the person's own or shared
with a team. The model page lists them (`GET ?endpoint=`), saves the form as one (POST
with the form's fields) and loads one with `?preset=<id>` (catalog.views.model)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from playground.accounts.models import Membership, membership
from playground.catalog import formgen
from playground.catalog.models import Endpoint
from playground.gallery.models import Preset
from playground.lib.params import parse_id
from playground.lib.refusals import refuse

NAME_MAX = 80
PER_MODEL_MAX = 200
NOT_INPUT = ("csrfmiddlewaretoken", "endpoint", "preset_name", "preset_team", "__mode", "__team")


def usable_by(user: Any) -> QuerySet:
    """Presets `user` may load: their own and those shared with a team they are in."""
    team_ids = user.memberships.values("team_id")
    return Preset.objects.filter(Q(owner=user) | Q(team_id__in=team_ids))


def preset_for(user: Any, pk: Any) -> Preset:
    try:
        return usable_by(user).select_related("team").get(pk=pk)
    except (Preset.DoesNotExist, ValueError, TypeError):
        raise Http404("No such preset") from None


def can_change(user: Any, preset: Preset, roles: dict | None = None) -> bool:
    """`roles` (team id -> Membership) saves a query per preset when listing many."""
    if preset.owner_id == user.pk:
        return True
    if roles is None:
        member = membership(user, preset.team_id)
    else:
        member = roles.get(preset.team_id)
    return bool(member and member.can("curate"))


@login_required
@require_http_methods(["GET", "POST"])
def presets(request: HttpRequest) -> HttpResponse:
    """GET: the presets menu of `?endpoint=`. POST: save the posted form as a preset
    (201 with the menu; 422 with the error shown in it)."""
    endpoint_id = request.GET.get("endpoint") or request.POST.get("endpoint", "")
    endpoint = Endpoint.objects.by_endpoint_id(endpoint_id)
    if endpoint is None:
        raise Http404("No such model")
    if request.method == "GET":
        return _menu(request, endpoint)
    name = " ".join(request.POST.get("preset_name", "").split())[:NAME_MAX]
    if not name:
        return _menu(request, endpoint, error="Give the preset a name.", status=422)
    team = None
    team_id = request.POST.get("preset_team", "")
    if team_id:
        member = membership(request.user, parse_id(team_id))
        if member is None or not member.can("post"):
            return _menu(request, endpoint, error="You cannot share with that team.", status=403)
        team = member.team
    posted = request.POST.copy()
    for key in NOT_INPUT:
        posted.pop(key, None)
    decoded = formgen.decode(endpoint.input_schema, posted)
    Preset.objects.update_or_create(
        owner=request.user,
        endpoint_id=endpoint.endpoint_id,
        name=name,
        team=team,
        defaults={"input": decoded.input},
    )
    return _menu(request, endpoint, saved=name, status=201)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Its owner, or a curator of its team; others who can see it get 403."""
    preset = preset_for(request.user, pk)
    if not can_change(request.user, preset):
        return refuse(request, "Only its owner or the team's admins can delete this.")
    endpoint = Endpoint.objects.by_endpoint_id(preset.endpoint_id)
    preset.delete()
    if endpoint is None:
        return HttpResponse(status=204)
    return _menu(request, endpoint)


def _menu(
    request: HttpRequest, endpoint: Endpoint, *, error: str = "", saved: str = "", status=200
) -> HttpResponse:
    rows = (
        usable_by(request.user)
        .filter(endpoint_id=endpoint.endpoint_id)
        .select_related("team", "owner")
        .order_by("team__name", "name", "id")[:PER_MODEL_MAX]
    )
    rows_of = Membership.objects.filter(user=request.user).select_related("team")
    roles = {m.team_id: m for m in rows_of}
    items = [{"preset": p, "can_change": can_change(request.user, p, roles)} for p in rows]
    context = {
        "endpoint": endpoint,
        "items": items,
        "post_teams": [m.team for m in roles.values() if m.can("post")],
        "error": error,
        "saved": saved,
    }
    return render(request, "gallery/_presets.html", context, status=status)
