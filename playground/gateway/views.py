"""The gateway's two entrances (DESIGN.md "Gateway"): fal's `proxyUrl` protocol, and the
URL-replacement route where `https://fal.run` becomes `https://<this host>/gateway/fal`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from playground.gateway import engine, targets
from playground.gateway.addresses import ROUTE_PREFIXES
from playground.gateway.models import Entrance
from playground.gateway.targets import Host, TargetRefused

TARGET_HEADER = "x-fal-target-url"


def _refused(refusal: TargetRefused) -> JsonResponse:
    return engine.detail(str(refusal), refusal.status)


@csrf_exempt  # token callers carry no cookie; session writes are checked in callers.identify
async def proxy(request: HttpRequest) -> HttpResponse:
    """`@fal-ai/client` with `proxyUrl`: the real fal URL is in `x-fal-target-url`."""
    try:
        target = targets.parse(request.headers.get(TARGET_HEADER))
    except TargetRefused as refusal:
        return _refused(refusal)
    return await engine.forward(request, target, entrance=Entrance.PROXY)


def route(host: Host):
    @csrf_exempt
    async def view(request: HttpRequest, path: str) -> HttpResponse:
        """fal's URL with this server's route in place of the host; `x-fal-target-url`
        may name another fal target, as on Cloudflare's fal route."""
        raw = request.headers.get(TARGET_HEADER) or _fal_url(request, host)
        try:
            target = targets.parse(raw)
        except TargetRefused as refusal:
            return _refused(refusal)
        return await engine.forward(request, target, entrance=Entrance.GATEWAY, through_route=True)

    view.__name__ = f"route_{host.name.lower()}"
    return view


def _fal_url(request: HttpRequest, host: Host) -> str:
    # The path as sent (escapes kept), so the target parser sees what the caller wrote.
    rest = request.get_full_path()[len(ROUTE_PREFIXES[host]) :]
    return f"https://{host}{rest}"
