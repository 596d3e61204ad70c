"""The galleries (a person's and a team's), infinite scroll, and bulk actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from playground.accounts.models import Membership, Team, membership
from playground.catalog.categories import GROUPS
from playground.gallery import actions, exports
from playground.gallery.queries import SORTS, Filters, apply, page_of
from playground.jobs.access import can_edit, reachable_by
from playground.jobs.models import Generation, OutputKind, Status
from playground.lib.params import parse_id
from playground.lib.refusals import refuse

MODEL_CHOICES_SECONDS = 60
MAX_SELECTED = 200
COMPARE_MAX = 4


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The person's own generations. htmx asks for `#results` when filters change and for
    `#cards` (the next page) as the end of the grid scrolls into view."""
    memberships = _memberships(request.user)
    filters = Filters.from_query(request.GET)
    rows = Generation.objects.filter(owner=request.user, deleted_at__isnull=True)
    rows = apply(rows, filters, teams={m.team.slug: m.team_id for m in memberships})
    context = {
        "scope": "mine",
        "base_url": reverse("gallery:index"),
        "memberships": memberships,
        "model_choices": _model_choices(request.user),
    }
    return _render(request, rows, filters, context)


@login_required
@require_GET
def team(request: HttpRequest, slug: str) -> HttpResponse:
    """What the team's members posted; 404 for anyone not in the team."""
    the_team = get_object_or_404(Team, slug=slug)
    member = membership(request.user, the_team.pk)
    if member is None:
        raise Http404("No such team")
    filters = Filters.from_query(request.GET)
    filters.team = ""  # the team is the page itself
    rows = apply(Generation.objects.filter(team=the_team, deleted_at__isnull=True), filters)
    context = {
        "scope": "team",
        "team": the_team,
        "member": member,
        "can_curate": member.can("curate"),
        "base_url": reverse("gallery:team", args=[slug]),
        "memberships": _memberships(request.user),
        "model_choices": _model_choices(request.user, team=the_team),
    }
    return _render(request, rows, filters, context)


def _render(request: HttpRequest, rows: QuerySet, filters: Filters, extra: dict) -> HttpResponse:
    page = page_of(rows, filters)
    context = {
        **extra,
        "filters": filters,
        "page": page,
        "post_teams": [m.team for m in extra["memberships"] if m.can("post")],
        "next_url": _next_url(extra["base_url"], filters, page.next_cursor),
        "sorts": SORTS,
        "kinds": OutputKind.choices,
        "statuses": Status.choices,
        "groups": GROUPS,
    }
    if request.htmx and filters.cursor:
        return render(request, "gallery/index.html#cards", context)
    if request.htmx and request.htmx.target == "gallery-results":
        response = render(request, "gallery/index.html#results", context)
        # The address bar gets the filters that matter, not every empty field of the form.
        query = filters.query_string()
        response["HX-Push-Url"] = f"{extra['base_url']}?{query}" if query else extra["base_url"]
        return response
    context["undo"] = _just_deleted(request)
    return render(request, "gallery/index.html", context)


def _next_url(base: str, filters: Filters, cursor: str) -> str:
    return f"{base}?{filters.query_string(cursor=cursor)}" if cursor else ""


def _memberships(user: Any) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("team").order_by("team"))


def _model_choices(user: Any, team: Team | None = None) -> list[str]:
    """The models this person (or, on a team's page, the team) has run, for the filter;
    cached briefly because a distinct over a big gallery is the one query here that grows
    with it."""
    key = f"gallery:models:team:{team.pk}" if team else f"gallery:models:{user.pk}"
    choices = cache.get(key)
    if choices is None:
        rows = Generation.objects.filter(**({"team": team} if team else {"owner": user}))
        choices = sorted(
            rows.filter(deleted_at__isnull=True)
            .order_by()
            .values_list("endpoint_id", flat=True)
            .distinct()
        )
        cache.set(key, choices, MODEL_CHOICES_SECONDS)
    return choices


def _just_deleted(request: HttpRequest) -> list[str]:
    """Codes named by `?deleted=` that this person deleted and may bring back (Undo)."""
    codes = [c for c in request.GET.get("deleted", "").split(",") if c][:MAX_SELECTED]
    if not codes:
        return []
    try:
        rows = reachable_by(request.user).filter(code__in=codes, deleted_at__isnull=False)
        return [str(code) for code in rows.values_list("code", flat=True)]
    except ValidationError:  # junk codes (not UUIDs) are ignored, not a 500
        return []


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Many generations at once: compare, download (zip), move to a team, delete, restore.
    Every code must be visible (else 404); writes need edit rights on every one (403)."""
    action = request.POST.get("action", "")
    codes = request.POST.getlist("g")[:MAX_SELECTED]
    back = _safe_back(request)
    if not codes:
        messages.error(request, "Select at least one generation first.")
        return redirect(back)
    generations = _selected(request.user, codes, deleted=action == "restore")
    if action == "compare":
        return _compare_redirect(request, generations, back)
    if action == "download":
        too_large = exports.zip_too_large(generations)
        if too_large:
            messages.error(request, too_large)
            return redirect(back)
        return exports.zip_response(generations)
    if action not in ("delete", "restore", "move"):
        messages.error(request, "Choose what to do with the selection.")
        return redirect(back)
    if any(not can_edit(request.user, g) for g in generations):
        return refuse(request, _refusal(request.user, generations, action))
    if action == "delete":
        count = actions.delete_generations(generations=generations)
        codes = ",".join(str(g.code) for g in generations)
        return redirect(f"{reverse('gallery:index')}?{urlencode({'deleted': codes})}")
    if action == "restore":
        count = actions.restore_generations(generations=generations)
        messages.success(request, f"Restored {count} generation{'s' if count != 1 else ''}.")
        return redirect(back)
    return _move(request, generations, back)


def _refusal(user: Any, generations: list[Generation], action: str) -> str:
    others = sum(1 for g in generations if not can_edit(user, g))
    whose = "is a teammate's" if others == 1 else "are teammates'"
    return (
        f"You can {action} only your own generations here (or any, as the team's admin): "
        f"{others} of the {len(generations)} selected {whose}. Nothing was changed."
    )


def _selected(user: Any, codes: list[str], *, deleted: bool) -> list[Generation]:
    try:
        rows = list(
            reachable_by(user)
            .filter(code__in=codes, deleted_at__isnull=not deleted)
            .with_model()
            .select_related("team")
            .prefetch_related("assets")
        )
    except ValidationError:  # a code that is not a UUID
        raise Http404("No such generation") from None
    if len(rows) != len(set(codes)):
        raise Http404("No such generation")
    return rows


def _compare_redirect(request: HttpRequest, generations: list, back: str) -> HttpResponse:
    if not 2 <= len(generations) <= COMPARE_MAX:
        messages.error(request, f"Pick 2 to {COMPARE_MAX} generations to compare.")
        return redirect(back)
    query = urlencode([("g", str(g.code)) for g in generations])
    return redirect(f"{reverse('gallery:compare')}?{query}")


def _move(request: HttpRequest, generations: list[Generation], back: str) -> HttpResponse:
    team_id = request.POST.get("team", "")
    target = None
    if team_id:
        member = membership(request.user, parse_id(team_id))
        if member is None or not member.can("post"):
            messages.error(request, "You cannot post to that team.")
            return redirect(back)
        target = member.team
    count = actions.move_to_team(generations=generations, team=target)
    where = target.name if target else "your personal gallery"
    messages.success(request, f"Moved {count} generation{'s' if count != 1 else ''} to {where}.")
    return redirect(back)


def _safe_back(request: HttpRequest) -> str:
    """Where the form came from, if it is one of our paths."""
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return back
    return reverse("gallery:index")
