from __future__ import annotations

import asyncio

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from playground.core.health import check_channel_layer, check_database, check_storage

LATEST = 12  # generations on the dashboard; the gallery has them all


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The start page: a product overview for visitors, the user's dashboard otherwise."""
    if request.user.is_authenticated:
        from playground.jobs.models import Generation

        latest = (
            Generation.objects.visible_to(request.user)
            .with_model()
            .prefetch_related("assets")[:LATEST]
        )
        # htmx asks for the list alone when a run changes status (jobs/live.py).
        template = "core/dashboard.html#latest" if request.htmx else "core/dashboard.html"
        return render(request, template, {"latest": latest})
    return render(request, "core/welcome.html", {"demo_models": _demo_models()})


def _demo_models() -> list:
    """The models visitors may try without an account (demo mode), in DEMO_MODELS' order."""
    if not settings.DEMO_MODE:
        return []
    from playground.catalog.models import Endpoint

    found = Endpoint.objects.in_bulk(settings.DEMO_MODELS, field_name="endpoint_id")
    return [found[i] for i in settings.DEMO_MODELS if i in found]


@never_cache
@require_safe
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the channel layer and the media store all answer (the store
    takes a probe object written, read back and deleted), 503 otherwise."""
    database, channel_layer, storage = await asyncio.gather(
        check_database(), check_channel_layer(), check_storage()
    )
    healthy = database["ok"] and channel_layer["ok"] and storage["ok"]
    body = {
        "status": "ok" if healthy else "error",
        "database": database,
        "channel_layer": channel_layer,
        "storage": storage,
    }
    return JsonResponse(body, status=200 if healthy else 503)
