"""Writes on one generation from its page or a gallery card: favorite, notes and tags,
sharing, team, showcase, delete and undo, re-run; and its JSON sidecar.

Every view goes through playground.jobs.access: 404 for outsiders, 403 for members who
may only look. htmx gets the changed fragment back; plain forms a redirect.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from playground.accounts.models import membership
from playground.gallery import actions, detail, exports
from playground.jobs import actions as job_actions
from playground.jobs.access import EDIT, generation_for
from playground.jobs.models import Mode, Visibility
from playground.lib.params import parse_id
from playground.lib.refusals import refuse
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import quota_for

SEED_LIMIT = 2**31 - 1  # fits every fal seed field (int32)
RERUN_MODES = (Mode.QUEUE, Mode.RUN, Mode.STREAM)


@login_required
@require_POST
def favorite(request: HttpRequest, code: str) -> HttpResponse:
    generation, _ = generation_for(request.user, code, EDIT)
    wanted = request.POST.get("favorite", "toggle")
    value = not generation.favorite if wanted == "toggle" else wanted in ("1", "true", "on")
    actions.set_favorite(generation=generation, favorite=value)
    if request.htmx:
        compact = request.POST.get("compact") == "1"  # the card's star, not the page's button
        context = {"generation": generation, "compact": compact}
        return render(request, "gallery/_favorite.html", context)
    return redirect(generation)


@login_required
@require_POST
def notes(request: HttpRequest, code: str) -> HttpResponse:
    generation, _ = generation_for(request.user, code, EDIT)
    text = request.POST.get("notes", "")
    if len(text) > 5000:
        return _form_error(request, generation, "Notes are limited to 5,000 characters.")
    actions.update_notes(
        generation=generation, notes=text, tags=actions.parse_tags(request.POST.get("tags", ""))
    )
    if request.htmx:
        context = {"generation": generation, "can_edit": True, "saved": True}
        return render(request, "gallery/_notes.html", context)
    messages.success(request, "Notes and tags saved.")
    return redirect(generation)


def _form_error(request: HttpRequest, generation, message: str) -> HttpResponse:
    if request.htmx:
        context = {"generation": generation, "can_edit": True, "error": message}
        return render(request, "gallery/_notes.html", context, status=422)
    messages.error(request, message)
    return redirect(generation)


@login_required
@require_POST
def visibility(request: HttpRequest, code: str) -> HttpResponse:
    """Set who may see it; `reset=1` makes a new link (the old one stops working)."""
    generation, _ = generation_for(request.user, code, EDIT)
    if request.POST.get("reset") == "1" and generation.share_token:
        actions.reset_share_link(generation=generation)
    else:
        wanted = request.POST.get("visibility", "")
        if wanted not in Visibility.values:
            return refuse(request, "Choose private, team, link or public.", status=400)
        if wanted == Visibility.TEAM and not generation.team_id:
            return refuse(request, "Post it to a team first.", status=400)
        actions.set_visibility(generation=generation, visibility=wanted, actor=request.user)
    if request.htmx:
        return _sharing_fragment(request, generation)
    return redirect(generation)


def _sharing_fragment(request: HttpRequest, generation, *, first: str = "sharing") -> HttpResponse:
    """The sharing fragment and the showcase toggle, `first` swapped into the target and
    the other out of band: each changes the other, so the page never shows them apart."""
    member = membership(request.user, generation.team_id)
    context = {
        "generation": generation,
        "can_edit": True,
        "can_curate": bool(member and member.can("curate")),
        "share_url": detail.share_url(request, generation),
        "visibilities": Visibility.choices,
    }
    names = ["gallery/_sharing.html", "gallery/_showcase_toggle.html"]
    if first == "showcase":
        names.reverse()
    html = render_to_string(names[0], context, request=request)
    html += render_to_string(names[1], {**context, "oob": True}, request=request)
    return HttpResponse(html)


@login_required
@require_POST
def move(request: HttpRequest, code: str) -> HttpResponse:
    """Post to a team where the person may post (`team` = its id), or back to personal."""
    generation, _ = generation_for(request.user, code, EDIT)
    team_id = request.POST.get("team", "")
    target = None
    if team_id:
        member = membership(request.user, parse_id(team_id))
        if member is None or not member.can("post"):
            return refuse(request, "You cannot post to that team.")
        target = member.team
    actions.move_to_team(generations=[generation], team=target)
    messages.success(request, f"Posted to {target.name}." if target else "Taken back from team.")
    return redirect(generation)


@login_required
@require_POST
def showcase(request: HttpRequest, code: str) -> HttpResponse:
    """On or off its team's public showcase: needs the team's `curate` right."""
    generation, _ = generation_for(request.user, code)
    member = membership(request.user, generation.team_id)
    if member is None or not member.can("curate"):
        return refuse(request, "Only the team's curators choose its showcase.")
    shown = request.POST.get("shown") == "1"
    actions.set_showcase(generation=generation, shown=shown, actor=request.user)
    if request.htmx:
        return _sharing_fragment(request, generation, first="showcase")
    messages.success(request, "Added to the showcase." if shown else "Removed from the showcase.")
    return redirect(generation)


@login_required
@require_POST
def delete(request: HttpRequest, code: str) -> HttpResponse:
    """Soft delete; the gallery then offers Undo. A running generation is also cancelled."""
    generation, _ = generation_for(request.user, code, EDIT)
    actions.delete_generations(generations=[generation])
    target = f"{reverse('gallery:index')}?{urlencode({'deleted': str(generation.code)})}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@login_required
@require_POST
def restore(request: HttpRequest, code: str) -> HttpResponse:
    generation, _ = generation_for(request.user, code, EDIT, deleted=True)
    actions.restore_generations(generations=[generation])
    messages.success(request, "Restored.")
    return redirect(generation)


@login_required
@require_POST
def rerun(request: HttpRequest, code: str) -> HttpResponse:
    """The same input again as the person's own new run, with a new random seed when the
    model takes one. Anyone who may see the generation may re-run it for themselves."""
    generation, _ = generation_for(request.user, code)
    if generation.model is None:
        messages.error(request, "This model is no longer in the catalog.")
        return redirect(generation)
    try:
        job_actions.check_runs_in_flight(request.user)
    except job_actions.TooManyRuns as exc:
        messages.error(request, str(exc))
        return redirect(generation)
    data = dict(generation.input) if isinstance(generation.input, dict) else {}
    if detail.has_seed(generation):
        data["seed"] = secrets.randbelow(SEED_LIMIT)
    mode = generation.mode if generation.mode in RERUN_MODES else Mode.QUEUE
    # A team's run stays the team's (and uses its key) for those who may run for it.
    member = membership(request.user, generation.team_id)
    team = generation.team if member and member.can("run") else None
    try:
        check_budgets(request.user.pk, team_id=team.pk if team else None)
        counter.hit(quota_for(request.user.pk, team_id=team.pk if team else None))
    except (OverBudget, counter.Limited) as refused:
        messages.error(request, str(refused))
        return redirect(generation)
    new = job_actions.submit_generation(
        user=request.user, endpoint=generation.model, input=data, mode=mode, team=team
    )
    return redirect(new)


@login_required
@require_GET
def metadata(request: HttpRequest, code: str) -> HttpResponse:
    generation, _ = generation_for(request.user, code)
    return exports.sidecar_response(generation)
