"""Runs and their live panels: start a generation, watch it, cancel it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from playground.accounts.models import Team, membership
from playground.catalog.formgen import decode
from playground.catalog.models import Endpoint
from playground.demo import visitors
from playground.demo.visitors import login_or_demo
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


@login_or_demo
@require_POST
def run(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """Start a generation from the model form. htmx gets the live panel; others a redirect.

    Invalid input never reaches fal: 422 with errors keyed by field path. Visitors without
    an account (demo mode) run only the demo models: 403 with a message for the others.
    """
    endpoint = get_object_or_404(Endpoint, endpoint_id=endpoint_id)
    if not request.user.is_authenticated:
        return _run_for_visitor(request, endpoint)
    mode, refusal = _mode(request, endpoint)
    if refusal:
        return refusal
    team = None
    if request.POST.get(TEAM_FIELD):
        team = _team_to_run_for(request.user, request.POST[TEAM_FIELD])
        if team is None:
            message = "You cannot run models for that team (ask an admin for the member role)."
            return _refused(message, status=422)
    decoded = decode(endpoint.input_schema, request.POST)
    if decoded.errors:
        return JsonResponse({"errors": decoded.errors}, status=422)
    try:
        actions.check_runs_in_flight(request.user)
    except actions.TooManyRuns as exc:
        return _refused(str(exc), status=429)
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
    return _started(request, generation)


def _run_for_visitor(request: HttpRequest, endpoint: Endpoint) -> HttpResponse:
    """A demo run: counted per visitor's address, owned by the demo account, reachable
    only from this session (demo/visitors.py)."""
    if not visitors.is_demo_model(endpoint.endpoint_id):
        return _refused(visitors.sign_in_to_run(endpoint.endpoint_id), status=403)
    mode, refusal = _mode(request, endpoint)
    if refusal:
        return refusal
    decoded = decode(endpoint.input_schema, request.POST)
    if decoded.errors:
        return JsonResponse({"errors": decoded.errors}, status=422)
    unavailable = visitors.unavailable_input(request.session, decoded.input)
    if unavailable:
        return _refused(unavailable, status=422)
    owner = visitors.owner()
    try:
        visitors.check_runs_in_flight(request.session)
        # A personal budget of the demo account (staff: set_budget --user "demo visitors")
        # caps what all visitors together may spend in a month.
        check_budgets(owner.pk)
        counter.hit(visitors.visitor_quota(request))
    except actions.TooManyRuns as exc:
        return _refused(str(exc), status=429)
    except OverBudget as over:
        return over_budget(over)
    except counter.Limited as limited:
        return rate_limited(limited)
    generation = actions.submit_generation(
        user=owner, endpoint=endpoint, input=decoded.input, mode=mode
    )
    visitors.remember(request.session, generation)
    return _started(request, generation)


def _mode(request: HttpRequest, endpoint: Endpoint) -> tuple[str, JsonResponse | None]:
    """The run mode asked for (queue by default), and a 422 when the endpoint lacks it."""
    mode = request.POST.get(MODE_FIELD) or Mode.QUEUE
    if mode in Mode.values and mode in endpoint.modes:
        return mode, None
    return mode, _refused(f"{endpoint.endpoint_id} cannot run as {mode!r}.", status=422)


def _started(request: HttpRequest, generation: Generation) -> HttpResponse:
    if not request.htmx:
        return redirect(generation)
    response = render(request, "jobs/_panel.html", full_context(generation), status=201)
    response["HX-Trigger"] = "generation-started"
    return response


def _refused(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"errors": {"__all__": [message]}}, status=status)


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


@login_or_demo
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The generation's page: the live panel, every parameter, actions (gallery). A demo
    visitor's own run gets the panel and its input, without the gallery's actions."""
    from playground.gallery import detail as gallery_detail

    if not request.user.is_authenticated:
        generation = visitors.generation_for_visitor(request.session, code)
        context = {
            **full_context(generation),
            "parameters": gallery_detail.parameters(generation),
            "demo_notice": visitors.NOTICE,
        }
        return render(request, "jobs/demo_detail.html", context)
    generation, can_edit = generation_for(request.user, code)
    context = {
        **full_context(generation),
        **gallery_detail.context(request, generation, can_edit),
    }
    return render(request, "jobs/detail.html", context)


@login_or_demo
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    if request.user.is_authenticated:
        generation, can_edit = generation_for(request.user, code)
    else:
        generation, can_edit = visitors.generation_for_visitor(request.session, code), True
    if not can_edit:
        return refuse(request, "Only its owner can cancel this generation.")
    actions.request_cancel(generation=generation)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(generation)


@login_or_demo
@require_GET
def asset_file(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """A stored output file, for those who may see its generation (404 for others; a demo
    visitor sees those of their own runs). `?download=1` sends it as an attachment; PNGs
    then carry their parameters."""
    if request.user.is_authenticated:
        generation, _ = generation_for(request.user, code)
    else:
        generation = visitors.generation_for_visitor(request.session, code)
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
            handle = field.open("rb").file
        except FileNotFoundError:
            raise Http404("No such file") from None
        response = serving.file_response(
            request,
            handle,
            size=handle.size,  # the open file's: a field would ask the store again
            content_type=content_type,
            filename=name,
            download=download,
        )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_or_demo
@require_GET
def recent(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """The person's latest runs of one model (the model page's "Recent" list); a demo
    visitor's, of this session."""
    if request.user.is_authenticated:
        rows = Generation.objects.visible_to(request.user).filter(owner=request.user)
    else:
        rows = visitors.runs_of(request.session)
    generations = rows.filter(endpoint_id=endpoint_id).prefetch_related("assets")[:RECENT]
    return render(
        request, "jobs/_recent.html", {"generations": generations, "endpoint_id": endpoint_id}
    )
