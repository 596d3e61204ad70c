"""The realtime page of a model: an input source, the schema's form, the live output."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from playground.catalog import formgen
from playground.catalog.models import Endpoint
from playground.catalog.templatetags.binding import bind
from playground.catalog.views.uploads import RECENT_UPLOADS
from playground.jobs.panel import recent_outputs
from playground.realtime.params import FRAME_MARKER, realtime_form
from playground.realtime.relay import idle_seconds


@login_required
@require_safe
def realtime_page(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """404 for models without a realtime mode."""
    endpoint = Endpoint.objects.by_endpoint_id(endpoint_id)
    if endpoint is None:
        # `/models/<an id ending in "realtime">` without its slash lands here.
        longer = Endpoint.objects.by_endpoint_id(f"{endpoint_id}/realtime")
        if longer is not None:
            return redirect("catalog:model", longer.endpoint_id)
        raise Http404("No such model")
    if "realtime" not in endpoint.modes:
        raise Http404("This model has no realtime mode")
    spec = realtime_form(endpoint)
    # The schema's examples fill required fields (a prompt), so the first stroke answers.
    start = formgen.example_input(endpoint.input_schema)
    context = {
        "endpoint": endpoint,
        "form": bind(spec.form, formgen.encode(endpoint.input_schema, start)),
        "image_field": spec.image_field,
        "frame_marker": FRAME_MARKER,
        "idle_seconds": int(idle_seconds()),
        "recent_uploads": request.session.get(RECENT_UPLOADS, []) + recent_outputs(request.user),
    }
    return render(request, "realtime/page.html", context)
