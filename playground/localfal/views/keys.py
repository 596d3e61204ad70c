"""The REST host's public signing keys (https://rest.alpha.fal.ai/.well-known/jwks.json)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from playground.localfal import webhooks
from playground.localfal.views.common import api


@api("GET", auth=False)
async def jwks(request: HttpRequest) -> HttpResponse:
    """The Ed25519 keys that sign this emulator's webhooks (public, as fal's are)."""
    response = JsonResponse(webhooks.jwks())
    # The key lives as long as the process; receivers refetch when a signature fails.
    response["Cache-Control"] = "public, max-age=3600"
    return response
