"""HTML fragments of the live generation panel, swapped by id (htmx `ws` out-of-band).

An update re-renders only the regions its new events touch: the status header (small),
the progress bar when a step log brings progress, the result when the generation ends,
and appends only the new log lines. A late joiner (after_seq=0) gets every region.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from playground.jobs.dbpool import DbPool
from playground.jobs.fragments import appended_logs_html, progress_html
from playground.jobs.models import EventKind, Generation, GenerationEvent

RENDER_THREADS = 4
_pool: DbPool | None = None


def render_pool() -> DbPool:
    """Threads that render panel updates for consumers: off the shared sync thread, so
    hundreds of panels updating at once do not queue behind each other."""
    global _pool
    if _pool is None or _pool.closed:
        _pool = DbPool(RENDER_THREADS, name="panel-render")
    return _pool


def render_update(pk: int, after_seq: int) -> tuple[str, int]:
    """(fragments for events after `after_seq`, the last seq included). With after_seq 0
    every region is replaced, the log list whole: what a (re)connecting socket needs,
    since it cannot know what the page already shows."""
    # Events first, then the row: a run's status and its event are committed together, so
    # the row read second is at least as new as the last event. The other order, under
    # load, could show a status older than the events returned, and the update that
    # carried the newer one would then be skipped as already shown (a panel stuck on
    # "Sending…" or "Running" while the run had moved on).
    events = list(
        GenerationEvent.objects.filter(generation_id=pk, seq__gt=after_seq).order_by("seq")
    )
    if not events:
        return "", after_seq
    generation = Generation.objects.with_model().get(pk=pk)
    return _render(generation, events, replay=after_seq == 0), events[-1].seq


def render_increment(
    generation: Generation, events: list[GenerationEvent], *, with_status: bool = True
) -> str | None:
    """The fragments of events just written, from what the writer holds in memory; None
    when they touch the result region, which is read from the database (it ends a run).

    Log lines alone (the bulk of live news) leave the status header as it is, unless the
    writer says it shows something they replace (a "retrying" notice): `with_status`."""
    if not generation.is_active or _has(events, EventKind.PARTIAL):
        return None
    if with_status or any(event.kind != EventKind.LOG for event in events):
        return _render(generation, events, replay=False)
    progress = next((p for p in map(_progress_of, reversed(events)) if p is not None), None)
    bar = (
        progress_html(code=generation.code, active=True, progress=progress, oob=True)
        if progress is not None
        else ""
    )
    lines = _lines(events)
    return bar + (appended_logs_html(generation.code, lines) if lines else "")


def _render(generation: Generation, events: list[GenerationEvent], *, replay: bool) -> str:
    # An ending redraws the bar too: it stops in its final state (fragments.progress_html).
    show_progress = (
        replay or not generation.is_active or any(_progress_of(e) is not None for e in events)
    )
    context = {
        "generation": generation,
        "retry": _retry(generation, events),
        "new_log_lines": _lines(events),
        "show_progress": show_progress,
        "progress": _latest_progress(generation, events) if show_progress else None,
        "show_result": replay or not generation.is_active or _has(events, EventKind.PARTIAL),
        "replace_logs": replay,
    }
    if context["show_result"]:
        context.update(_result_context(generation))
    return render_to_string("jobs/_updates.html", context)


def full_context(generation: Generation) -> dict[str, Any]:
    """Everything so far, for the server-rendered page (the socket then goes on from here)."""
    events = list(generation.events.order_by("seq"))
    return {
        "generation": generation,
        "retry": _retry(generation, events),
        "progress": _latest_progress(generation, events),
        "log_lines": _lines(events),
        "last_seq": events[-1].seq if events else 0,
        **_result_context(generation),
    }


def latest_run_context(user: Any, endpoint_id: str) -> dict[str, Any]:
    """The panel context of the person's latest run of a model, or nothing."""
    generation = (
        Generation.objects.visible_to(user)
        .filter(owner=user, endpoint_id=endpoint_id)
        .with_model()
        .first()
    )
    return full_context(generation) if generation else {}


def _lines(events: list[GenerationEvent]) -> list[dict]:
    return [line for e in events if e.kind == EventKind.LOG for line in e.payload["lines"]]


def _has(events: list[GenerationEvent], kind: str) -> bool:
    return any(e.kind == kind for e in events)


def _progress_of(event: GenerationEvent) -> float | None:
    return event.payload.get("progress") if event.kind == EventKind.LOG else None


def _latest_progress(generation: Generation, events: list[GenerationEvent]) -> float | None:
    """From the newest events if they carry it, else the last one stored."""
    for event in reversed(events):
        if _progress_of(event) is not None:
            return _progress_of(event)
    stored = (
        generation.events.filter(kind=EventKind.LOG, payload__has_key="progress")
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    return stored.get("progress") if stored else None


def _retry(generation: Generation, events: list[GenerationEvent]) -> dict | None:
    """The 'retrying' notice, while it is still the newest news."""
    if generation.is_active and events and events[-1].kind == EventKind.RETRY:
        return events[-1].payload
    return None


def _result_context(generation: Generation) -> dict[str, Any]:
    if generation.is_active:
        partial = generation.events.filter(kind=EventKind.PARTIAL).order_by("-seq").first()
        return {"assets": [], "partial": partial.payload.get("data") if partial else None}
    return {"assets": list(generation.assets.all()), "partial": None}


def recent_outputs(user: Any, limit: int = 12) -> list[dict[str, str]]:
    """The person's recent output files, for a model form's "Recent" picker. They are offered
    by their fal URL (public, kept about a week by fal), which a model can fetch."""
    from datetime import timedelta

    from django.utils import timezone

    from playground.jobs.models import MediaAsset

    assets = (
        MediaAsset.objects.filter(
            generation__owner=user,
            generation__created__gte=timezone.now() - timedelta(days=6),
            kind__in=("image", "audio", "video"),
        )
        .exclude(source_url="data:")
        .select_related("generation")
        .order_by("-id")[:limit]
    )
    return [
        {
            "url": asset.source_url,
            "name": f"{asset.generation.endpoint_id} output {asset.position + 1}",
            "content_type": asset.content_type,
        }
        for asset in assets
    ]
