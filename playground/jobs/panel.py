"""HTML fragments of the live generation panel, swapped by id (htmx `ws` out-of-band).

Every update re-renders the small regions (status, progress, result) whole and appends
only the new log lines, so a late joiner and a live watcher see the same thing.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from playground.jobs.models import EventKind, Generation, GenerationEvent


def render_update(pk: int, after_seq: int) -> tuple[str, int]:
    """(fragments for events after `after_seq`, the last seq included)."""
    generation = Generation.objects.select_related("model").get(pk=pk)
    events = list(generation.events.filter(seq__gt=after_seq).order_by("seq"))
    if not events:
        return "", after_seq
    context = panel_context(generation, events)
    context["new_log_lines"] = [
        line for event in events if event.kind == EventKind.LOG for line in event.payload["lines"]
    ]
    html = render_to_string("jobs/_updates.html", context)
    return html, events[-1].seq


def panel_context(generation: Generation, events: list[GenerationEvent] | None = None):
    """What every region needs: status, progress, retry notice, result viewers."""
    latest_progress = (
        generation.events.filter(kind=EventKind.LOG, payload__has_key="progress")
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    retry = _latest_retry(generation, events)
    return {
        "generation": generation,
        "progress": latest_progress.get("progress") if latest_progress else None,
        "retry": retry,
        "assets": list(generation.assets.all()) if not generation.is_active else [],
        "partial": _latest_partial(generation),
    }


def full_context(generation: Generation) -> dict[str, Any]:
    """Everything so far, for the server-rendered page (the socket then goes on from here)."""
    events = list(generation.events.order_by("seq"))
    context = panel_context(generation, events)
    context["log_lines"] = [
        line for event in events if event.kind == EventKind.LOG for line in event.payload["lines"]
    ]
    context["last_seq"] = events[-1].seq if events else 0
    return context


def _latest_retry(generation: Generation, events: list[GenerationEvent] | None) -> dict | None:
    """The last 'retrying' notice, while it is still the newest news."""
    if not generation.is_active:
        return None
    last = generation.events.order_by("-seq").first()
    return last.payload if last and last.kind == EventKind.RETRY else None


def _latest_partial(generation: Generation) -> Any:
    if not generation.is_active:
        return None
    event = generation.events.filter(kind=EventKind.PARTIAL).order_by("-seq").first()
    return event.payload.get("data") if event else None


def latest_run_context(user: Any, endpoint_id: str) -> dict[str, Any]:
    """The panel context of the person's latest run of a model, or nothing."""
    generation = (
        Generation.objects.visible_to(user)
        .filter(owner=user, endpoint_id=endpoint_id)
        .select_related("model")
        .first()
    )
    return full_context(generation) if generation else {}
