"""Every write that changes a generation, each telling browsers after the commit.

Keyword-only, typed, atomic. Views and the runner call these; nothing else writes
Generation or GenerationEvent rows.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from playground.catalog.models import Endpoint
from playground.jobs.models import EventKind, Generation, GenerationEvent, Mode, Visibility

log = logging.getLogger(__name__)
WAKE_GROUP = "jobs.wake"  # runners listen here for new work and cancellations


def submit_generation(
    *, user: Any, endpoint: Endpoint, input: dict, mode: str = Mode.QUEUE, team: Any = None
):
    """A PENDING generation; a runner picks it up at once (woken after the commit). With a
    team (the caller checked the right to run for it) it is posted there and uses its key."""
    with transaction.atomic():
        generation = Generation.objects.create(
            owner=user,
            model=endpoint,
            endpoint_id=endpoint.endpoint_id,
            input=input,
            mode=mode,
            team=team,
            visibility=Visibility.TEAM if team else Visibility.PRIVATE,
        )
        record_event(generation=generation, kind=EventKind.STATUS, payload={"status": "pending"})
    transaction.on_commit(lambda: wake_runners({"generation": str(generation.code)}))
    return generation


def request_cancel(*, generation: Generation) -> None:
    """Ask for a cancel; the runner holding the generation cancels it at fal."""
    if not generation.is_active:
        return
    Generation.objects.filter(pk=generation.pk).update(cancel_requested=True)
    generation.cancel_requested = True
    transaction.on_commit(lambda: wake_runners({"cancel": str(generation.code)}))


def record_event(*, generation: Generation, kind: str, payload: dict) -> GenerationEvent:
    """Append an event with the next sequence number (safe against concurrent writers)."""
    for _ in range(5):
        try:
            with transaction.atomic():
                last = generation.events.aggregate(last=Max("seq"))["last"] or 0
                return GenerationEvent.objects.create(
                    generation=generation, seq=last + 1, kind=kind, payload=payload
                )
        except IntegrityError:
            continue  # another writer took that number; take the next
    raise RuntimeError(f"could not append an event to generation {generation.pk}")


def update_generation(
    *,
    generation: Generation,
    events: list[tuple[str, dict]] | None = None,
    notify_after: bool = True,
    **fields: Any,
) -> Generation:
    """Save `fields` and append `events` in one transaction, then notify browsers.

    The runner passes notify_after=False and notifies from its event loop instead: its
    database threads must not touch the (loop-bound) in-memory channel layer.
    """
    for name, value in fields.items():
        setattr(generation, name, value)
    with transaction.atomic():
        if fields:
            generation.save(update_fields=list(fields))
        for kind, payload in events or []:
            record_event(generation=generation, kind=kind, payload=payload)
    if notify_after:
        transaction.on_commit(lambda: notify(generation))
    return generation


def finish_generation(
    *,
    generation: Generation,
    status: str,
    output: Any = None,
    error: dict | None = None,
    metrics: dict | None = None,
    notify_after: bool = True,
) -> Generation:
    payload: dict[str, Any] = {"status": status}
    if error:
        payload["error"] = error
    return update_generation(
        generation=generation,
        events=[(EventKind.STATUS, payload)],
        status=status,
        output=output,
        error=error,
        metrics=metrics or generation.metrics,
        finished=timezone.now(),
        queue_position=None,
        lease_owner="",
        lease_until=None,
        notify_after=notify_after,
    )


async def notify_async(generation: Generation) -> None:
    """The runner's notify, from its event loop."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(generation.group_name, {"type": "generation.changed"})


def notify(generation: Generation) -> None:
    """Tell every browser watching this generation to catch up (sync contexts)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(generation.group_name, {"type": "generation.changed"})
    except Exception:  # a dead channel layer must not fail a database write
        log.warning("could not notify watchers of %s", generation.code, exc_info=True)


def wake_runners(message: dict[str, str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(WAKE_GROUP, {"type": "jobs.wake", **message})
    except Exception:
        log.warning("could not wake runners", exc_info=True)
