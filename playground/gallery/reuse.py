"""Prefilling a model page: "Reuse parameters" of a generation, a saved preset, or a file
sent from an output ("Send to…")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest


@dataclass(frozen=True)
class Prefill:
    input: dict
    label: str  # what the page says it was filled from
    url: str = ""  # a link back to it


def prefill_for(request: HttpRequest, endpoint: Any) -> Prefill | None:
    """From `?from=<generation code>` or `?preset=<id>`, if this person may see it; a
    code or id they may not see is ignored with a message (never a 404 for the page).
    Demo visitors (no account) have no generations or presets to reuse, only files to send."""
    signed_in = request.user.is_authenticated
    if signed_in and "from" in request.GET:
        return _from_generation(request, request.GET["from"])
    if signed_in and "preset" in request.GET:
        return _from_preset(request, request.GET["preset"], endpoint)
    if "send" in request.GET:
        return _from_sent(request, endpoint, request.GET["send"], request.GET.get("url", ""))
    return None


def _from_sent(request: HttpRequest, endpoint: Any, field: str, url: str) -> Prefill | None:
    """ "Send to…" from an output: the defaults, with the file in `field`."""
    from playground.catalog.sendto import target_field
    from playground.catalog.templatetags.binding import defaults_of
    from playground.catalog.views.model import form_for
    from playground.catalog.views.sendto import sendable_url

    target = target_field(endpoint, field)
    if target is None or not sendable_url(url):
        messages.warning(request, "That file cannot go into this model; the form has defaults.")
        return None
    data = {**defaults_of(form_for(endpoint)), field: [url] if target.many else url}
    return Prefill(input=data, label="the file you sent here, in " + field)


def _from_generation(request: HttpRequest, code: str) -> Prefill | None:
    from playground.jobs.access import generation_for

    try:
        generation, _ = generation_for(request.user, code)
    except Http404:
        messages.warning(request, "That generation is not available; the form has defaults.")
        return None
    from playground.jobs.seeds import input_with_used_seed

    return Prefill(
        input=input_with_used_seed(generation),
        label=f"the parameters of the run of {generation.created:%b %-d, %H:%M}",
        url=generation.get_absolute_url(),
    )


def _from_preset(request: HttpRequest, pk: str, endpoint: Any) -> Prefill | None:
    from playground.gallery.views.presets import preset_for

    try:
        preset = preset_for(request.user, pk)
    except Http404:
        messages.warning(request, "That preset is not available; the form has defaults.")
        return None
    if preset.endpoint_id != endpoint.endpoint_id:
        messages.warning(request, f"The preset {preset.name!r} is for another model.")
        return None
    return Prefill(input=preset.input, label=f"the preset “{preset.name}”")
