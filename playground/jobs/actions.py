"""Every write that changes a run (its status, output and events), each telling browsers
after the commit.

Keyword-only, typed, atomic. Views and the runner call these; nothing else changes a run.
Two neighbours write Generation rows that are not runs: gallery/actions.py curates finished
ones (favorite, notes, sharing, teams, delete) and realtime/actions.py stores saved frames,
which are born finished.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from playground.activity.actions import record
from playground.activity.models import Action
from playground.catalog.models import Endpoint
from playground.jobs import live
from playground.jobs.models import (
    ACTIVE,
    EventKind,
    Generation,
    GenerationEvent,
    Mode,
    Status,
    Visibility,
)
from playground.jobs.seeds import with_seed

log = logging.getLogger(__name__)
WAKE_GROUP = "jobs.wake"  # runners listen here for new work and cancellations


class TooManyRuns(Exception):
    """The person already has RUNS_IN_FLIGHT_PER_USER runs waiting or running."""


def check_runs_in_flight(user: Any) -> None:
    """Raises TooManyRuns when `user` may not start another run yet: one person must not
    fill the queue (and spend the key) with thousands of runs at once."""
    limit = settings.RUNS_IN_FLIGHT_PER_USER
    if limit and Generation.objects.filter(owner=user, status__in=ACTIVE).count() >= limit:
        raise TooManyRuns(
            f"You already have {limit} runs waiting or running. Start more when some have "
            "finished, or cancel some."
        )


def submit_generation(
    *,
    user: Any,
    endpoint: Endpoint,
    input: dict,
    mode: str = Mode.QUEUE,
    team: Any = None,
    experiment: Any = None,
    experiment_cell: str = "",
    notify_after: bool = True,
):
    """A PENDING generation; a runner picks it up at once (woken after the commit). With a
    team (the caller checked the right to run for it) it is posted there and uses its key.
    A model that takes a seed always gets one (random when none is given), so the
    generation stores the seed that made it. An experiment's runs name it and their cell.

    notify_after=False: the caller wakes runners itself (the runner's writer thread, which
    must not touch the loop-bound channel layer; runners also find new rows by polling)."""
    input = with_seed(endpoint.input_schema, input)
    with transaction.atomic():
        generation = Generation.objects.create(
            owner=user,
            model=endpoint,
            endpoint_id=endpoint.endpoint_id,
            input=input,
            mode=mode,
            team=team,
            visibility=Visibility.TEAM if team else Visibility.PRIVATE,
            experiment=experiment,
            experiment_cell=experiment_cell,
        )
        record_event(generation=generation, kind=EventKind.STATUS, payload={"status": "pending"})
        if team is not None:
            _record_team_run(generation)
    if notify_after:
        transaction.on_commit(lambda: wake_runners({"generation": str(generation.code)}))
        transaction.on_commit(lambda: live.notify_owner(generation))
    return generation


def _record_team_run(generation: Generation) -> None:
    """The run in its team's activity log: who ran which model, with a link to it."""
    record(
        generation.team_id,
        generation.owner,
        Action.RUN_STARTED,
        target=generation.endpoint_id,
        target_url=generation.get_absolute_url(),
        details={"generation": str(generation.code), "mode": generation.mode},
    )


def request_cancel(*, generation: Generation) -> None:
    """Ask for a cancel; the runner holding the generation cancels it at fal."""
    if not generation.is_active:
        return
    Generation.objects.filter(pk=generation.pk).update(cancel_requested=True)
    generation.cancel_requested = True
    transaction.on_commit(lambda: wake_runners({"cancel": str(generation.code)}))


def record_event(
    *, generation: Generation, kind: str, payload: dict, seq: int | None = None
) -> GenerationEvent:
    """Append an event with the next sequence number (safe against concurrent writers).

    `seq` is the writer's guess of that number: the runner holding the lease knows it and
    saves a query per event; a wrong guess costs one retry that asks the database."""
    for _ in range(5):
        try:
            with transaction.atomic():
                if seq is None:
                    seq = (generation.events.aggregate(last=Max("seq"))["last"] or 0) + 1
                return GenerationEvent.objects.create(
                    generation=generation, seq=seq, kind=kind, payload=payload
                )
        except IntegrityError:
            seq = None  # another writer took that number; take the next
    raise RuntimeError(f"could not append an event to generation {generation.pk}")


def update_generation(
    *,
    generation: Generation,
    events: list[tuple[str, dict]] | None = None,
    notify_after: bool = True,
    first_seq: int | None = None,
    **fields: Any,
) -> list[GenerationEvent]:
    """Save `fields` and append `events` in one transaction, then notify browsers. Returns
    the new events (`first_seq`: see record_event).

    The runner passes notify_after=False and notifies from its event loop instead: its
    database threads must not touch the (loop-bound) in-memory channel layer.
    """
    for name, value in fields.items():
        setattr(generation, name, value)
    created: list[GenerationEvent] = []
    with transaction.atomic():
        if fields:
            generation.save(update_fields=list(fields))
        for kind, payload in events or []:
            guess = created[-1].seq + 1 if created else first_seq
            created.append(
                record_event(generation=generation, kind=kind, payload=payload, seq=guess)
            )
    if notify_after:
        transaction.on_commit(lambda: notify(generation, change_message(generation, created)))
        if "status" in fields:
            transaction.on_commit(lambda: live.notify_owner(generation))
    if "status" in fields and generation.experiment_id:
        _experiment_changed(generation, notify_after=notify_after)
    return created


def _experiment_changed(generation: Generation, *, notify_after: bool) -> None:
    """An experiment's run changed status: after the commit its grid hears of it, and
    once it ended the experiment submits its next cells (experiments/actions.advance),
    with no browser open. The runner (notify_after=False) tells the grid from its loop."""
    from playground.experiments import actions as experiments
    from playground.experiments import live as grid

    experiment_id = generation.experiment_id
    if not generation.is_active:  # first, so the grid's news shows the cells it submits
        transaction.on_commit(
            lambda: experiments.advance(experiment_id=experiment_id, notify_after=notify_after),
            robust=True,
        )
    if notify_after:
        transaction.on_commit(lambda: grid.notify_experiment(experiment_id), robust=True)


def record_partial(
    *,
    generation: Generation,
    data: Any,
    notify_after: bool = True,
    first_seq: int | None = None,
) -> list[GenerationEvent]:
    """A streaming run's latest partial output. Only the newest is ever shown (a text so
    far, a preview), so the ones before it are dropped: an answer streamed word by word
    keeps one copy of its text, not one per word."""
    with transaction.atomic():
        created = update_generation(
            generation=generation,
            events=[(EventKind.PARTIAL, {"data": data})],
            notify_after=notify_after,
            first_seq=first_seq,
        )
        generation.events.filter(kind=EventKind.PARTIAL, seq__lt=created[0].seq).delete()
    return created


def finish_generation(
    *,
    generation: Generation,
    status: str,
    output: Any = None,
    error: dict | None = None,
    metrics: dict | None = None,
    media_kind: str | None = None,
    billable_units: float | None = None,
    notify_after: bool = True,
    first_seq: int | None = None,
) -> list[GenerationEvent]:
    payload: dict[str, Any] = {"status": status}
    if error:
        payload["error"] = error
    more: dict[str, Any] = {"media_kind": media_kind} if media_kind is not None else {}
    if status == Status.COMPLETED:
        from playground.usage.prices import run_cost

        # Priced now: a later change of price does not rewrite what a run cost.
        more |= run_cost(generation.endpoint_id, billable_units, output, generation.input)
    events = update_generation(
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
        first_seq=first_seq,
        **more,
    )
    from playground.gateway.requestlog import record_playground_run

    record_playground_run(generation)  # the gateway's log covers playground runs too
    return events


def change_message(
    generation: Generation, events: list[GenerationEvent], *, with_status: bool = True
) -> dict[str, Any]:
    """What watchers are told after a commit: that the generation changed and, when the new
    events can be shown without reading the database again, their fragment, rendered once
    for every watcher. A watcher that is not exactly at `from_seq - 1` reads the database
    instead (consumers.py), so a fragment is only a shortcut, never the source of truth."""
    from playground.jobs.panel import render_increment

    message: dict[str, Any] = {"type": "generation.changed"}
    if not events:
        return message
    # `to_seq` even without a fragment: a watcher whose read of the database already went
    # past it skips the message instead of reading again. Without it a fast stream (one
    # message per partial output) queued a read per message, the watcher fell behind, and
    # a full channel drops messages (the last one too: a panel stuck on "Running").
    message["to_seq"] = events[-1].seq
    html = render_increment(generation, events, with_status=with_status)
    if html is not None:
        message.update(html=html, from_seq=events[0].seq)
    return message


async def notify_async(generation: Generation, message: dict[str, Any] | None = None) -> None:
    """The runner's notify, from its event loop."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(generation.group_name, message or {"type": "generation.changed"})


def notify(generation: Generation, message: dict[str, Any] | None = None) -> None:
    """Tell every browser watching this generation to catch up (sync contexts)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            generation.group_name, message or {"type": "generation.changed"}
        )
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
