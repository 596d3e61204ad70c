"""Runs and their live panels: start a generation, watch it, cancel it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from playground.accounts.models import Team, membership
from playground.catalog.formgen import decode
from playground.catalog.models import Endpoint
from playground.jobs import actions
from playground.jobs.access import generation_for
from playground.jobs.models import Generation, Mode
from playground.jobs.panel import full_context
from playground.lib import serving
from playground.lib.params import parse_id
from playground.lib.refusals import refuse
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import quota_for

RECENT = 8
MODE_FIELD = "__mode"  # not a schema property: never sent to fal
TEAM_FIELD = "__team"  # the team to post the run to (a team id), or empty


def _team_to_run_for(user: Any, value: str) -> Team | None:
    """The team, if `user` may run for it; None otherwise (also for junk values)."""
    found = membership(user, parse_id(value))
    return found.team if found and found.can("run") else None


@login_required
@require_POST
def run(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """Start a generation from the model form. htmx gets the live panel; others a redirect.

    Invalid input never reaches fal: 422 with errors keyed by field path.
    """
    endpoint = get_object_or_404(Endpoint, endpoint_id=endpoint_id)
    mode = request.POST.get(MODE_FIELD) or Mode.QUEUE
    if mode not in Mode.values or mode not in endpoint.modes:
        return JsonResponse(
            {"errors": {"__all__": [f"{endpoint_id} cannot run as {mode!r}."]}}, status=422
        )
    team = None
    if request.POST.get(TEAM_FIELD):
        team = _team_to_run_for(request.user, request.POST[TEAM_FIELD])
        if team is None:
            message = "You cannot run models for that team (ask an admin for the member role)."
            return JsonResponse({"errors": {"__all__": [message]}}, status=422)
    decoded = decode(endpoint.input_schema, request.POST)
    if decoded.errors:
        return JsonResponse({"errors": decoded.errors}, status=422)
    try:
        actions.check_runs_in_flight(request.user)
    except actions.TooManyRuns as exc:
        return JsonResponse({"errors": {"__all__": [str(exc)]}}, status=429)
    try:
        check_budgets(request.user.pk, team_id=team.pk if team else None)
        counter.hit(quota_for(request.user.pk, team_id=team.pk if team else None))
    except OverBudget as over:
        return over_budget(over)
    except counter.Limited as limited:
        return rate_limited(limited)
    generation = actions.submit_generation(
        user=request.user, endpoint=endpoint, input=decoded.input, mode=mode, team=team
    )
    if not request.htmx:
        return redirect(generation)
    context = full_context(generation)
    response = render(request, "jobs/_panel.html", context, status=201)
    response["HX-Trigger"] = "generation-started"
    return response


def rate_limited(limited: counter.Limited) -> JsonResponse:
    """429 with Retry-After; the model page shows the message beside Run, counting down."""
    message = str(limited)
    body = {"detail": message, "retry_after": limited.retry_after, "errors": {"__all__": [message]}}
    response = JsonResponse(body, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


def over_budget(over: OverBudget) -> JsonResponse:
    """402; the model page shows the message beside Run (it says who can raise the budget)."""
    message = str(over)
    return JsonResponse({"detail": message, "errors": {"__all__": [message]}}, status=402)


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The generation's page: the live panel, every parameter, actions (gallery)."""
    from playground.gallery import detail as gallery_detail

    generation, can_edit = generation_for(request.user, code)
    context = {
        **full_context(generation),
        **gallery_detail.context(request, generation, can_edit),
    }
    return render(request, "jobs/detail.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    generation, can_edit = generation_for(request.user, code)
    if not can_edit:
        return refuse(request, "Only its owner can cancel this generation.")
    actions.request_cancel(generation=generation)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(generation)


@login_required
@require_GET
def asset_file(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """A stored output file, for those who may see its generation (404 for others).
    `?download=1` sends it as an attachment; PNGs then carry their parameters."""
    generation, _ = generation_for(request.user, code)
    return serve_asset(request, generation, name)


def serve_asset(request: HttpRequest, generation: Generation, name: str) -> HttpResponse:
    """The file `name` of `generation` (its output or thumbnail), after access checks.

    Served by `serving.file_response`: inline only for pictures, audio and video; an output
    that is HTML, SVG or anything else is a download and never runs as a page of ours."""
    from playground.gallery.exports import download_bytes, download_name

    path = f"generations/{generation.code}/{name}"
    asset = generation.assets.filter(Q(file=path) | Q(thumbnail=path)).first()
    if asset is None:
        raise Http404("No such file")
    asset.generation = generation  # the same row: no second query for its input
    field = asset.file if asset.file.name == path else asset.thumbnail
    if field is asset.file:
        name = download_name(generation, asset)  # "Save as" offers what it is, not 00-images-0
    content_type = asset.content_type if field is asset.file else "image/jpeg"
    download = request.GET.get("download") == "1"
    if download and field is asset.file and asset.content_type == "image/png":
        # Made on the way out: the stored file stays exactly what the model returned.
        response = serving.bytes_response(
            download_bytes(asset), content_type=content_type, filename=name, download=True
        )
    else:
        try:
            handle = field.open("rb")
        except FileNotFoundError:
            raise Http404("No such file") from None
        response = serving.file_response(
            request,
            handle,
            size=handle.size,
            content_type=content_type,
            filename=name,
            download=download,
        )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def recent(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """The person's latest runs of one model (the model page's "Recent" list)."""
    generations = (
        Generation.objects.visible_to(request.user)
        .filter(endpoint_id=endpoint_id, owner=request.user)
        .prefetch_related("assets")[:RECENT]
    )
    return render(
        request, "jobs/_recent.html", {"generations": generations, "endpoint_id": endpoint_id}
    )
