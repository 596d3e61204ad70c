"""The model page (a form generated from the endpoint's input schema) and its payload.

The page posts its own encoding (formgen/spec.py) to `payload` as the user types; the
answer is the input the endpoint would receive, the code samples for it, and errors by
path. The JSON view posts `{"input": {...}}` instead and gets the re-rendered form back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.request import split_domain_port
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from playground.accounts.teams import teams_with_right
from playground.catalog import formgen
from playground.catalog.formgen.spec import FormSpec
from playground.catalog.models import Endpoint, Mode
from playground.catalog.templatetags.binding import bind, defaults_of
from playground.catalog.templatetags.snippets import code_samples
from playground.catalog.views.uploads import RECENT_UPLOADS
from playground.demo import visitors
from playground.demo.visitors import login_or_demo
from playground.gallery import reuse
from playground.jobs.panel import full_context, latest_run_context, recent_outputs
from playground.usage.estimates import estimate_input

log = logging.getLogger(__name__)
MODE_FIELD = "__mode"  # the run mode radio (jobs.views.MODE_FIELD)
FIELDS_TARGET = "form-fields"  # the element the form partial is swapped into
# Per schema version (endpoint id, schema sha): forms and start states never change.
_CACHE: dict[tuple[str, str, str], Any] = {}


@login_or_demo
@require_safe
def model_page(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """The page; `?example=1` fills it with the schema's examples. htmx requests aimed at
    the form (Load example, Reset) get just the fields back. In demo mode visitors without
    an account see the demo models' pages; any other sends them to log in, saying why."""
    endpoint = _endpoint_or_404(endpoint_id)
    visitor = not request.user.is_authenticated
    if visitor and not visitors.is_demo_model(endpoint.endpoint_id):
        messages.info(request, visitors.sign_in_to_run(endpoint.endpoint_id))
        return redirect_to_login(request.get_full_path())
    # "Reuse parameters" (?from=<generation>) and saved presets (?preset=<id>) prefill.
    prefill = reuse.prefill_for(request, endpoint)
    if prefill:
        start = _start_with(endpoint, prefill.input, own_hosts=_own_hosts(request))
    else:
        start = _start(endpoint, example="example" in request.GET)
    context = _form_context(endpoint, form_for(endpoint), start.values)
    if request.htmx and request.htmx.target == FIELDS_TARGET:
        return render(request, "catalog/model.html#fields", context)
    context |= {
        "modes": [_mode_label(mode) for mode in endpoint.modes],
        "run_modes": [RUN_MODES[mode] for mode in RUN_MODES if mode in endpoint.modes],
        # Teams this person may run for: the run is posted there and uses the team's key.
        "run_teams": teams_with_right(request.user, "run"),
        "input_json": start.input_json,
        "cost": estimate_input(endpoint.endpoint_id, endpoint.input_schema, start.input),
        "code": start.code,
        "issues": start.issues,
        "prefill": prefill,
        "demo_notice": visitors.NOTICE if visitor else "",
        **_runs_context(request, endpoint),
    }
    # Restoring goes through ?from=, which reaches only signed-in people's generations.
    context["restore_url"] = "" if visitor else _restore_url(context.get("generation"), start)
    return render(request, "catalog/model.html", context)


def _runs_context(request: HttpRequest, endpoint: Endpoint) -> dict[str, Any]:
    """Files to pick from (this person's uploads, then their recent outputs) and their
    latest run of the model: a reload (or another device) shows it again, live if still
    running. A demo visitor's come from their session alone."""
    if not request.user.is_authenticated:
        latest = visitors.runs_of(request.session).filter(endpoint_id=endpoint.endpoint_id)
        generation = latest.with_model().first()
        return {
            "recent_uploads": files_to_pick(request),
            **(full_context(generation) if generation else {}),
        }
    return {
        "recent_uploads": files_to_pick(request),
        **latest_run_context(request.user, endpoint.endpoint_id),
    }


def files_to_pick(request: HttpRequest) -> list[dict[str, str]]:
    """What a file field's "Recent" menu offers: this session's uploads, then (signed in)
    the person's recent outputs. The model page and the experiment form share it."""
    uploads = request.session.get(RECENT_UPLOADS, [])
    if not request.user.is_authenticated:
        return uploads
    return uploads + recent_outputs(request.user)


def _restore_url(generation: Any, start: Start) -> str:
    """Where "Restore inputs" leads when the run shown was made with other inputs than
    the form shows (its seed aside: an unlocked seed is random on purpose); else ""."""
    if generation is None or not isinstance(generation.input, dict):
        return ""
    shown = {k: v for k, v in json.loads(start.input_json).items() if k != "seed"}
    used = {k: v for k, v in generation.input.items() if k != "seed"}
    if shown == used:
        return ""
    return f"{reverse('catalog:model', args=[generation.endpoint_id])}?from={generation.code}"


@require_POST
def payload(request: HttpRequest, endpoint_id: str) -> JsonResponse:
    """Form fields (or a JSON `{"input": ...}` body) -> 200 `{"input", "code"}`.

    Form fields are a draft the page checks as the person types (and once on load): what
    still needs attention comes back as 200 `{"errors": {path: [...]}, "input", "code"}`, so
    an empty new form is no failed request in the browser console. A JSON input to apply is
    refused with 422 `{"errors": ...}`; 400 for unreadable bodies, 404 for unknown models."""
    visitor = not request.user.is_authenticated
    if visitor and not visitors.is_demo_model(endpoint_id):
        return _errors("Log in to continue.", status=403)
    endpoint = Endpoint.objects.by_endpoint_id(endpoint_id)
    if endpoint is None:
        return _errors(f"There is no model {endpoint_id!r} in the catalog.", status=404)
    try:
        if request.content_type == "application/json":
            return _payload_from_json(request, endpoint)
        return _payload_from_form(request, endpoint)
    except Exception:
        # A schema the form generator trips over must not become a 500 for the browser.
        log.exception("payload for %s failed", endpoint_id)
        return _errors("This input could not be read. Reload the page and try again.")


def _payload_from_form(request: HttpRequest, endpoint: Endpoint) -> JsonResponse:
    posted = request.POST.copy()
    posted.pop("csrfmiddlewaretoken", None)
    decoded = formgen.decode(endpoint.input_schema, posted)
    # The snippets follow the run mode picked next to Run (posted with the form).
    code = code_samples(
        endpoint.endpoint_id,
        decoded.input,
        mode=posted.get(MODE_FIELD) or default_mode(endpoint),
        own_hosts=_own_hosts(request),
    )
    body = {"input": decoded.input, "code": code, "cost": _cost(endpoint, decoded.input)}
    if decoded.errors:
        return JsonResponse({"errors": decoded.errors, **body})
    return JsonResponse(body)


def _cost(endpoint: Endpoint, value: dict[str, Any]) -> dict[str, Any] | None:
    """What running `value` would cost, for the line beside Run (None: no price known)."""
    found = estimate_input(endpoint.endpoint_id, endpoint.input_schema, value)
    return found.as_json() if found else None


def _payload_from_json(request: HttpRequest, endpoint: Endpoint) -> JsonResponse:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        return _errors(f"That is not valid JSON: {exc}.")
    value = data.get("input") if isinstance(data, dict) else None
    if not isinstance(value, dict):
        return _errors('Send an object: {"input": {...}}.')
    errors = formgen.validate(endpoint.input_schema, value)
    if errors:
        return JsonResponse({"errors": errors}, status=422)
    encoded = formgen.encode(endpoint.input_schema, value)
    context = _form_context(endpoint, form_for(endpoint), encoded)
    return JsonResponse(
        {
            "input": value,
            "encoded": encoded,
            "code": code_samples(
                endpoint.endpoint_id,
                value,
                mode=str(data.get("mode") or default_mode(endpoint)),
                own_hosts=_own_hosts(request),
            ),
            "form": render_to_string("catalog/model.html#fields", context, request),
        }
    )


@dataclass(frozen=True)
class Start:
    """What a fresh page shows: the defaults (or the example), posted-style, and the
    input, code and issue count they make. The same for every visit of a schema version."""

    values: dict[str, list[str]]
    input_json: str
    input: dict[str, Any]
    code: dict[str, str]
    issues: int


def form_for(endpoint: Endpoint) -> FormSpec:
    """The endpoint's FormSpec, built once per schema version (views never mutate it)."""
    return _cached(endpoint, "form", lambda: formgen.build_form(endpoint.input_schema))


def _start(endpoint: Endpoint, *, example: bool) -> Start:
    def build() -> Start:
        schema = endpoint.input_schema
        value = formgen.example_input(schema) if example else defaults_of(form_for(endpoint))
        return _start_with(endpoint, value)

    return _cached(endpoint, "example" if example else "defaults", build)


def _start_with(endpoint: Endpoint, value: dict, *, own_hosts: Collection[str] = ()) -> Start:
    """The page filled with `value` (not cached: reused parameters differ every time)."""
    schema = endpoint.input_schema
    values = formgen.encode(schema, value)
    decoded = formgen.decode(schema, _querydict(values))
    return Start(
        values=values,
        input_json=_pretty(decoded.input),
        input=decoded.input,
        code=code_samples(
            endpoint.endpoint_id, decoded.input, mode=default_mode(endpoint), own_hosts=own_hosts
        ),
        issues=len(decoded.errors),
    )


def _cached(endpoint: Endpoint, name: str, build: Callable[[], Any]) -> Any:
    key = (endpoint.endpoint_id, endpoint.schema_sha, name)
    if key not in _CACHE:
        if len(_CACHE) > 5000:
            _CACHE.clear()
        _CACHE[key] = build()
    return _CACHE[key]


def _endpoint_or_404(endpoint_id: str) -> Endpoint:
    endpoint = Endpoint.objects.by_endpoint_id(endpoint_id)
    if endpoint is None:
        raise Http404("No such model")
    return endpoint


def _form_context(endpoint: Endpoint, form: FormSpec, values: dict[str, list[str]]) -> dict:
    return {"endpoint": endpoint, "form": bind(form, values)}


def _querydict(values: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, items in values.items():
        query.setlist(name, items)
    return query


# The ways a person can run a model from this page (realtime has its own page).
RUN_MODES = {
    "queue": {
        "value": "queue",
        "label": "Queue",
        "help": "Submit to fal's queue and follow it live",
    },
    "run": {
        "value": "run",
        "label": "Sync",
        "help": "One direct request: quickest for fast models",
    },
    "stream": {"value": "stream", "label": "Stream", "help": "Partial output as it is made"},
}


def default_mode(endpoint: Endpoint) -> str:
    """The run mode checked first on the page (the first of RUN_MODES the endpoint has)."""
    return next((mode for mode in RUN_MODES if mode in endpoint.modes), "queue")


def _own_hosts(request: HttpRequest) -> set[str]:
    """This server's host name: fal.ai cannot fetch our files (they need a signed-in person)."""
    domain, _ = split_domain_port(request.get_host())
    return {domain.strip("[]")}


def _mode_label(mode: str) -> dict[str, str]:
    label = Mode(mode).label if mode in Mode.values else mode.title()
    return {"value": mode, "label": label}


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _errors(message: str, *, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": {"__all__": [message]}}, status=status)
