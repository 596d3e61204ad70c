"""Experiments: the form that plans one (from a model's form), its confirmation, the grid,
and pause / resume / cancel. Every view fetches the experiment through access.py."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playground.accounts.models import Team, membership
from playground.accounts.teams import teams_with_right
from playground.catalog import formgen
from playground.catalog.models import Endpoint
from playground.catalog.templatetags.binding import bind, defaults_of
from playground.catalog.views.model import _endpoint_or_404, files_to_pick, form_for
from playground.experiments import actions
from playground.experiments.access import EDIT, experiment_for, experiment_for_token
from playground.experiments.download import export_response
from playground.experiments.estimate import estimate_plan
from playground.experiments.grid import build_grid, differing_keys
from playground.experiments.models import Experiment
from playground.experiments.plan import PlanError, needs_confirmation
from playground.experiments.sheet import SheetTooLarge
from playground.gallery import reuse
from playground.gallery.detail import absolute
from playground.jobs.models import Visibility
from playground.lib.params import parse_id
from playground.lib.refusals import refuse
from playground.limits.budgets import OverBudget

KINDS = (
    ("seeds", "Seeds"),
    ("prompts", "Prompts"),
    ("sweep", "Sweep"),
    ("models", "Models"),
)
AXES = ("x", "y", "z")
LIST_SIZE = 60


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """GET: the model's form plus what to vary, prefilled like the model page (`?from=`,
    `?preset=`). POST `__step=edit` (the model page's Experiment button): the same, with
    the posted form. POST `__step=plan`: field errors (422) or the confirmation page;
    POST `__step=start` with `__confirmed`: starts it and redirects to its grid."""
    endpoint = _endpoint_or_404(endpoint_id)
    if request.method == "GET":
        prefill = reuse.prefill_for(request, endpoint)
        start = prefill.input if prefill else defaults_of(form_for(endpoint))
        values = formgen.encode(endpoint.input_schema, start)
        return _form(request, endpoint, values, prefill=prefill)
    posted = _form_values(request.POST)
    if request.POST.get("__step") == "edit":
        return _form(request, endpoint, posted)
    return _plan_or_start(request, endpoint, posted)


def _plan_or_start(
    request: HttpRequest, endpoint: Endpoint, posted: dict[str, list[str]]
) -> HttpResponse:
    try:
        spec = spec_from(request.POST)
    except PlanError as error:
        return _form(request, endpoint, posted, problems={error.field: str(error)}, status=422)
    decoded = formgen.decode(endpoint.input_schema, _querydict(posted))
    # A field the experiment varies may be empty in the form (the prompt of a prompt list).
    varied = _varied_fields(spec)
    errors = {p: m for p, m in decoded.errors.items() if p.split(".")[0] not in varied}
    if errors:
        return _form(request, endpoint, posted, errors=errors, status=422)
    team, refusal = _team(request)
    if refusal:
        return _form(request, endpoint, posted, problems={"__team": refusal}, status=422)
    try:
        plan = actions.plan_for(endpoint=endpoint, base_input=decoded.input, spec=spec)
    except PlanError as error:
        return _form(request, endpoint, posted, problems={_problem_key(error, spec): str(error)},
                     status=422)  # fmt: skip
    big = needs_confirmation(plan)
    confirmed = request.POST.get("__step") == "start" and (
        not big or request.POST.get("__confirmed") == "1"
    )
    if not confirmed:
        return _confirm(request, endpoint, plan, big=big)
    try:
        experiment = actions.start_experiment(
            user=request.user,
            endpoint=endpoint,
            base_input=decoded.input,
            spec=spec,
            team=team,
            title=request.POST.get("__title", "").strip(),
        )
    except OverBudget as over:
        return _form(request, endpoint, posted, problems={"kind": str(over)}, status=402)
    except PlanError as error:  # the catalog changed between the two steps
        return _form(request, endpoint, posted, problems={error.field or "kind": str(error)},
                     status=422)  # fmt: skip
    return redirect(experiment)


def spec_from(post: Any) -> dict[str, Any]:
    """The experiment's spec (plan.plan_experiment) from the form's `__` fields. Values
    are passed as typed: a JSON list stays a list, anything else is the planner's text.
    Raises PlanError for seeds that are not numbers."""
    kind = post.get("__kind", "seeds")
    if kind not in dict(KINDS):
        return {"kind": kind[:20]}  # the planner refuses it, naming `kind`
    if kind == "seeds":
        seeds = post.get("__seeds", "").strip()
        if seeds:
            return {"kind": "seeds", "seeds": _seeds(seeds)}
        return {"kind": "seeds", "count": parse_id(post.get("__count", "")) or 0}
    if kind == "prompts":
        matrix = post.get("__matrix", "").strip()
        if matrix:
            return {"kind": "prompts", "matrix": matrix}
        lines = [line.strip() for line in post.get("__prompts", "").splitlines()]
        return {"kind": "prompts", "prompts": [line for line in lines if line]}
    if kind == "models":
        return {"kind": "models", "models": [m for m in post.getlist("__models") if m]}
    axes = []
    for name in AXES:
        field = post.get(f"__{name}_field", "").strip()
        if field:
            axes.append({"field": field, "values": _typed(post.get(f"__{name}_values", ""))})
    return {"kind": "sweep", "axes": axes}


def _seeds(text: str) -> list[int]:
    """ "1, 42, 1234" (or a JSON list) as whole numbers; PlanError naming `seeds` else."""
    items = _typed(text)
    if isinstance(items, str):
        items = [item.strip() for item in items.split(",") if item.strip()]
    try:
        return [int(str(item)) for item in items]
    except ValueError:
        raise PlanError("Seeds are whole numbers, separated by commas.", field="seeds") from None


def _typed(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        return value if isinstance(value, list) else text
    return text


def _varied_fields(spec: dict[str, Any]) -> set[str]:
    if spec.get("kind") == "prompts":
        return {"prompt"}
    if spec.get("kind") == "seeds":
        return {"seed"}
    return {str(axis.get("field")) for axis in spec.get("axes") or []}


def _team(request: HttpRequest) -> tuple[Team | None, str]:
    value = request.POST.get("__team", "")
    if not value:
        return None, ""
    found = membership(request.user, parse_id(value))
    if found and found.can("run"):
        return found.team, ""
    return None, "You cannot run models for that team (ask an admin for the member role)."


def _form_values(post: Any) -> dict[str, list[str]]:
    """The model form's own fields: the experiment's `__` fields and the token aside."""
    return {
        name: values
        for name, values in post.lists()
        if not name.startswith("__") and name != "csrfmiddlewaretoken"
    }


def _querydict(values: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, items in values.items():
        query.setlist(name, items)
    return query


def _form(
    request: HttpRequest,
    endpoint: Endpoint,
    values: dict[str, list[str]],
    *,
    prefill: Any = None,
    errors: dict[str, list[str]] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    post = request.POST if request.method == "POST" else QueryDict()
    errors = dict(errors or {})
    inline: dict[str, str] = {}
    for field, message in (problems or {}).items():
        if field in (endpoint.input_schema or {}).get("properties", {}):
            errors.setdefault(field, []).append(message)  # shown on the form's own field
        inline[_input_for(field)] = message
    context = {
        "endpoint": endpoint,
        "form": bind(form_for(endpoint), values, errors),
        "inline": inline,
        "prefill": prefill,
        "kinds": KINDS,
        "kind": post.get("__kind", "seeds"),
        "post": post,
        "axes": AXES,
        "sweepable": _sweepable(endpoint),
        "similar_models": _similar_models(endpoint),
        "chosen_models": post.getlist("__models"),
        "run_teams": teams_with_right(request.user, "run"),
        "problems": problems or {},
        "has_errors": bool(errors),
        "recent_uploads": files_to_pick(request),
    }
    return render(request, "experiments/new.html", context, status=status)


def _problem_key(error: PlanError, spec: dict[str, Any]) -> str:
    """Where a planning error belongs: a swept field's error (its values out of bounds,
    none given) under that axis's values ("axes.0.values"), not on the model's own field,
    which the sweep replaces; else the field the planner named."""
    for index, axis in enumerate(spec.get("axes") or []):
        if error.field and axis.get("field") == error.field:
            return f"axes.{index}.values"
    return error.field or "kind"


def _input_for(field: str) -> str:
    """The experiment input a PlanError's field names ("axes.1.values" -> "__y_values",
    "count" -> "__count"), to show its message under it; the field itself otherwise."""
    parts = field.split(".")
    if parts[0] == "axes" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < 3:
        return f"__{AXES[int(parts[1])]}_{parts[2] if len(parts) > 2 else 'values'}"
    if parts[0] in ("count", "seeds", "prompts", "matrix", "models", "kind", "title"):
        return f"__{parts[0]}"
    return field


def _sweepable(endpoint: Endpoint) -> list[tuple[str, str]]:
    """Top-level fields with a number, boolean or a choice: what a sweep can vary."""
    schema = endpoint.input_schema or {}
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kinds = {prop.get("type")} | {
            branch.get("type") for branch in prop.get("anyOf") or [] if isinstance(branch, dict)
        }
        if kinds & {"number", "integer", "boolean"} or "enum" in prop or "anyOf" in prop:
            found.append((name, str(prop.get("title") or name.replace("_", " ").capitalize())))
    return found


def _similar_models(endpoint: Endpoint) -> list[tuple[str, str]]:
    """Models of the same category, to compare side by side."""
    rows = Endpoint.objects.filter(category=endpoint.category).order_by("endpoint_id")
    return list(rows.values_list("endpoint_id", "title")[:100])


def _confirm(request: HttpRequest, endpoint: Endpoint, plan: Any, *, big: bool) -> HttpResponse:
    schemas = {endpoint.endpoint_id: endpoint.input_schema}
    others = {c.endpoint_id for c in plan.cells} - set(schemas)
    if others:
        rows = Endpoint.objects.filter(endpoint_id__in=others)
        schemas |= dict(rows.values_list("endpoint_id", "input_schema"))
    hidden = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "__step", "__confirmed")
        for value in values
    ]
    context = {
        "endpoint": endpoint,
        "plan": plan,
        "estimate": estimate_plan(plan, schemas=schemas),
        "big": big,
        "hidden": hidden,
    }
    return render(request, "experiments/confirm.html", context)


@login_required
@require_GET
def grid(request: HttpRequest, code: str) -> HttpResponse:
    experiment, editable = experiment_for(request.user, code)
    context = {
        "grid": build_grid(experiment),
        "experiment": experiment,
        "can_edit": editable,
        "differing": differing_keys(experiment),
        "visibilities": Visibility.choices,
        "share_url": _share_url(request, experiment),
        "run_teams": teams_with_right(request.user, "run"),
    }
    return render(request, "experiments/grid.html", context)


@login_required
@require_GET
def export_zip(request: HttpRequest, code: str) -> HttpResponse:
    """The experiment as a zip: contact sheet, every file, metadata.json (download.py).
    404 for those who may not see it; 413 for a grid too large to draw."""
    experiment, _ = experiment_for(request.user, code)
    try:
        return export_response(experiment)
    except SheetTooLarge as error:
        return HttpResponse(str(error), status=413, content_type="text/plain; charset=utf-8")


@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only grid behind a link or public share; 404 once revoked."""
    experiment = experiment_for_token(token)
    context = {
        "grid": build_grid(experiment, shared=True),
        "experiment": experiment,
        "shared": True,
        "differing": differing_keys(experiment),
    }
    response = render(request, "experiments/grid.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


def _share_url(request: HttpRequest, experiment: Experiment) -> str:
    if not experiment.share_token:
        return ""
    return absolute(request, reverse("experiments:shared", args=[experiment.share_token]))


@login_required
@require_POST
def visibility(request: HttpRequest, code: str) -> HttpResponse:
    """Who may see it (its runs follow); `reset=1` makes a new link."""
    experiment, _ = experiment_for(request.user, code, EDIT)
    if request.POST.get("reset") == "1" and experiment.share_token:
        actions.reset_experiment_link(experiment=experiment)
        return redirect(experiment)
    wanted = request.POST.get("visibility", "")
    if wanted not in Visibility.values:
        return refuse(request, "Choose private, team, link or public.", status=400)
    if wanted == Visibility.TEAM and not experiment.team_id:
        return refuse(request, "Only an experiment posted to a team can be shared with it.",
                      status=400)  # fmt: skip
    actions.set_experiment_visibility(experiment=experiment, visibility=wanted, actor=request.user)
    return redirect(experiment)


@login_required
@require_POST
def rerun(request: HttpRequest, code: str) -> HttpResponse:
    """The same experiment again, as a new one of this person (anyone who may see it)."""
    experiment, _ = experiment_for(request.user, code)
    team, refusal = _team(request)
    if refusal:
        return refuse(request, refusal, status=403)
    try:
        again = actions.rerun_experiment(experiment=experiment, user=request.user, team=team)
    except PlanError as error:
        return refuse(request, str(error), status=422)
    except OverBudget as over:
        return refuse(request, str(over), status=402)
    return redirect(again)


def _control(action: Any) -> Any:
    @login_required
    @require_POST
    def view(request: HttpRequest, code: str) -> HttpResponse:
        experiment, _ = experiment_for(request.user, code, EDIT)
        action(experiment=experiment)
        if request.htmx:
            experiment.refresh_from_db()
            grid_of = build_grid(experiment)
            context = {"experiment": experiment, "counts": grid_of.counts, "can_edit": True}
            return render(request, "experiments/grid.html#status", context)
        return redirect(experiment)

    view.__name__ = action.__name__
    view.__doc__ = f"POST: {action.__doc__ or action.__name__} (owner and team curators)."
    return view


pause = _control(actions.pause_experiment)
resume = _control(actions.resume_experiment)
cancel = _control(actions.cancel_experiment)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The person's experiments and their teams', newest first (one query)."""
    rows = (
        Experiment.objects.visible_to(request.user)
        .select_related("owner", "team")
        .annotate(
            runs=Count("generations", filter=Q(generations__deleted_at__isnull=True)),
            done=Count("generations", filter=Q(generations__status="completed")),
        )
        .defer("cells", "base_input", "spec")[:LIST_SIZE]
    )
    return render(request, "experiments/index.html", {"experiments": rows})
