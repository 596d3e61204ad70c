"""The gateway's two entrances (DESIGN.md "Gateway"): fal's `proxyUrl` protocol, and the
URL-replacement route where `https://fal.run` becomes `https://<this host>/gateway/fal`.

Token callers are served by lane.py ahead of Django's middleware; these views serve the
signed-in browser session (and token callers that reach Django another way, such as
Django's test client). Both hand the call to the same engine.
"""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from playground.gateway import engine, targets
from playground.gateway.addresses import ROUTE_PREFIXES
from playground.gateway.callers import Refused, identify
from playground.gateway.models import Entrance
from playground.gateway.targets import Host, Target, TargetRefused

TARGET_HEADER = "x-fal-target-url"


def target_of(request: HttpRequest, route: Host | None) -> Target:
    """The fal target of a call: `x-fal-target-url`, else (on the URL-replacement route)
    the fal URL the route's path stands for. Raises TargetRefused."""
    raw = request.headers.get(TARGET_HEADER)
    if route is not None and not raw:
        # The path as sent (escapes kept), so the target parser sees what the caller wrote.
        raw = f"https://{route}{request.get_full_path()[len(ROUTE_PREFIXES[route]) :]}"
    return targets.parse(raw)


@csrf_exempt  # token callers carry no cookie; session writes are checked in callers.identify
async def proxy(request: HttpRequest) -> HttpResponse:
    """`@fal-ai/client` with `proxyUrl`: the real fal URL is in `x-fal-target-url`."""
    return await _serve(request, None)


def route(host: Host):
    @csrf_exempt
    async def view(request: HttpRequest, path: str) -> HttpResponse:
        """fal's URL with this server's route in place of the host; `x-fal-target-url`
        may name another fal target, as on Cloudflare's fal route."""
        return await _serve(request, host)

    view.__name__ = f"route_{host.name.lower()}"
    return view


async def _serve(request: HttpRequest, route: Host | None) -> HttpResponse:
    try:
        target = target_of(request, route)
        admission = await engine.admitted(request, target, partial(identify, request))
    except (TargetRefused, Refused) as refusal:
        return django_response(engine.refused(refusal))
    body = request.body  # Django has read it already (within the route's overall limit)
    if len(body) > engine.body_cap(target):
        return django_response(engine.too_large(target))
    entrance = Entrance.PROXY if route is None else Entrance.GATEWAY
    answer = await engine.forward(
        request, target, admission, body, entrance=entrance, through_route=route is not None
    )
    return django_response(answer)


def django_response(answer: engine.Answer) -> HttpResponse:
    if answer.stream is not None:
        response = StreamingHttpResponse(answer.stream, status=answer.status)
    else:
        response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers:
        response[name] = value
    return response
