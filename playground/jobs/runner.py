"""The runner: claims generations with a lease, submits them to fal, follows them to the
end, copies their media, and records every step as events.

One runner per process (the web process by default, or `manage.py runjobs` workers). It
never loses a generation: rows are claimed by compare-and-swap on a lease that the holder
renews; a dead process's leases expire and another runner resumes its generations from
the stored fal request id, so nothing is submitted twice once fal has taken it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from datetime import timedelta
from typing import Any

import httpx
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.experiments.live import group_of, notify_group_async
from playground.fal.config import client_from_settings
from playground.fal.errors import (
    FalConnectionError,
    FalError,
    FalHTTPError,
    FalRateLimitError,
    FalServerError,
    FalTimeoutError,
    FalValidationError,
)
from playground.fal.retry import is_retryable
from playground.fal.types import QueueState, QueueStatus
from playground.jobs import actions, live, streaming
from playground.jobs.assets import copy_assets, output_kind
from playground.jobs.dbpool import DbPool, GroupWriter
from playground.jobs.inputs import InputUnavailable, fetchable_input
from playground.jobs.models import ACTIVE, EventKind, Generation, Mode, Status

log = logging.getLogger(__name__)
SUBMITS_AT_ONCE = 32
CANCEL_CHECK_SECONDS = 2.0
CANCEL_AGAIN_SECONDS = 1.0  # shutting down: how long a task may take to honour a cancel
DEMO_PURGE_SECONDS = 300.0  # demo mode: how often expired visitors' runs are deleted
EXPERIMENT_NUDGE_SECONDS = 5.0  # how often waiting experiments are advanced
PARTIAL_KEEP_CHARS = 200_000
STEP = re.compile(r"\bstep\s+(\d+)\s*/\s*(\d+)", re.IGNORECASE)


class Runner:
    def __init__(
        self,
        *,
        name: str | None = None,
        capacity: int | None = None,
        transport: Any = None,
        poll_interval: float | None = None,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.capacity = capacity or settings.RUNNER_CAPACITY
        self.transport = transport  # tests inject an httpx transport
        self.poll_interval = poll_interval or settings.RUNNER_POLL_SECONDS
        self.lease = timedelta(seconds=settings.RUNNER_LEASE_SECONDS)
        self.clients: dict[str | None, Any] = {}  # one client per fal key (see client_for)
        self.submit_gate = asyncio.Semaphore(SUBMITS_AT_ONCE)
        self.db = DbPool(settings.RUNNER_DB_THREADS, name="runner-db")  # reads
        self.writer = GroupWriter(name="runner-writer")  # every write (see GroupWriter)
        self.files = DbPool(settings.RUNNER_FILE_THREADS, name="runner-files")
        self.tasks: dict[int, asyncio.Task] = {}
        self.trackers: dict[str, Tracker] = {}
        self._wake = asyncio.Event()

    # -- main loop ------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        # Bursts of new work are sent a few dozen at a time: a thousand connects at once
        # overflow a server's listen backlog and break submits that cannot be retried.
        self.submit_gate = asyncio.Semaphore(SUBMITS_AT_ONCE)
        listener = asyncio.create_task(self._listen())
        renewer = asyncio.create_task(self._renew_forever())
        cancel_watch = asyncio.create_task(self._watch_cancels())
        demo_purge = asyncio.create_task(self._purge_demo_runs())
        experiments = asyncio.create_task(self._advance_experiments())
        log.info("runner %s started", self.name)
        try:
            while not stop.is_set():
                await self._claim_safely()
                self._wake.clear()
                waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
                await asyncio.wait(
                    waiters, timeout=self.poll_interval, return_when="FIRST_COMPLETED"
                )
                for waiter in waiters:
                    waiter.cancel()
        finally:
            listener.cancel()
            renewer.cancel()
            cancel_watch.cancel()
            demo_purge.cancel()
            experiments.cancel()
            await self._release_all()
            for client in self.clients.values():
                await client.aclose()
            self.clients.clear()
            await asyncio.to_thread(self.db.close)
            await asyncio.to_thread(self.writer.close)
            await asyncio.to_thread(self.files.close)

    def wake(self) -> None:
        self._wake.set()

    def client_for(self, key: str | None) -> Any:
        """One client per fal key, shared by every generation using it: a client per
        generation would repeat the TLS setup and block the loop when hundreds start at
        once. Status streams each hold a connection, so the pool is as large as capacity."""
        client = self.clients.get(key)
        if client is None:
            # Keep-alive for all of them: httpcore closes idle connections whenever the
            # pool holds more than max_keepalive_connections in total (busy streams
            # included), which would make every submit and download connect anew.
            size = self.capacity + 50
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            client = client_from_settings(key=key, transport=self.transport, limits=limits)
            self.clients[key] = client
        return client

    async def cancel(self, code: str) -> None:
        """Cancel at fal now if this runner tracks it (a queued request may be silent).
        One it does not track yet reads the stored flag when it is claimed."""
        tracker = self.trackers.get(code)
        if tracker:
            tracker.cancel_asked = True
            await tracker.maybe_cancel()

    async def _listen(self) -> None:
        """New work and cancel requests arrive on the channel layer; polling backs it up."""
        layer = get_channel_layer()
        if layer is None:
            return
        while True:  # a broken channel layer must not stop the runner: polling goes on
            try:
                await self._listen_once(layer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("runner %s: wake-up channel failed; retrying", self.name, exc_info=True)
                await asyncio.sleep(self.poll_interval)

    async def _listen_once(self, layer: Any) -> None:
        channel = await layer.new_channel()
        await layer.group_add(actions.WAKE_GROUP, channel)
        try:
            while True:
                message = await layer.receive(channel)
                if message.get("cancel"):
                    await self.cancel(message["cancel"])
                self.wake()
        finally:
            await layer.group_discard(actions.WAKE_GROUP, channel)

    async def _claim_safely(self) -> None:
        """A failed claim (the database away for a moment) is logged and tried again at
        the next poll: it must never end the runner, and with it every run in flight."""
        try:
            await self._claim_and_start()
        except Exception:
            log.warning("runner %s: claiming work failed; trying again", self.name, exc_info=True)

    async def _claim_and_start(self) -> None:
        room = self.capacity - len(self.tasks)
        if room <= 0:
            return
        for generation in await self.writer.run(self._claim, room):
            task = asyncio.create_task(self._track(generation))
            self.tasks[generation.pk] = task
            task.add_done_callback(lambda _t, pk=generation.pk: self.tasks.pop(pk, None))

    def _claim(self, limit: int) -> list[Generation]:
        """Compare-and-swap on the lease: only one runner can win a given row."""
        now = timezone.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        # Rows this runner tracks hold a live lease, so `free` leaves them out; the few
        # that let theirs go while finishing are skipped here, not in SQL (a NOT IN of
        # every tracked row made each claim cost more the busier the runner was).
        candidates = (
            Generation.objects.filter(status__in=ACTIVE)
            .filter(free, due)
            .order_by("created")
            .values_list("pk", flat=True)[: limit + len(self.tasks)]
        )
        claimed = []
        for pk in [pk for pk in candidates if pk not in self.tasks][:limit]:
            won = (
                Generation.objects.filter(pk=pk)
                .filter(free)
                .update(lease_owner=self.name, lease_until=now + self.lease)
            )
            if won:
                claimed.append(pk)
        return list(Generation.objects.filter(pk__in=claimed).with_model())

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            held = list(self.tasks)
            if held:
                await self.writer.run(self._renew, held)

    def _renew(self, held: list[int]) -> None:
        until = timezone.now() + self.lease
        Generation.objects.filter(pk__in=held, lease_owner=self.name).update(lease_until=until)

    async def _watch_cancels(self) -> None:
        """The stored cancel flag, read for every tracked generation in one query now and
        then: it covers a wake-up message that never arrived (the fast path)."""
        while True:
            await asyncio.sleep(CANCEL_CHECK_SECONDS)
            watched = [
                t.generation.pk
                for t in self.trackers.values()
                if t.generation.fal_request_id and not t.cancel_sent
            ]
            if not watched:
                continue
            try:
                asked = await self.db.run(_cancels_requested, watched)
            except Exception:  # a database hiccup: the next round asks again
                log.warning("runner %s: could not read cancel flags", self.name, exc_info=True)
                continue
            for code in asked:
                await self.cancel(code)

    async def _purge_demo_runs(self) -> None:
        """Demo mode: visitors' runs go, files and all, DEMO_KEEP_HOURS after they started
        (demo/visitors.py), without a cron job. Every runner does it; it is idempotent."""
        from playground.demo.visitors import purge_expired

        while settings.DEMO_MODE:
            try:
                purged = await self.files.run(purge_expired)
            except Exception:  # a database hiccup: the next round tries again
                log.warning("runner %s: could not purge demo runs", self.name, exc_info=True)
            else:
                if purged.generations:
                    log.info("runner %s: purged %d demo run(s)", self.name, purged.generations)
            await asyncio.sleep(DEMO_PURGE_SECONDS)

    async def _advance_experiments(self) -> None:
        """Experiments submit their next cells as their runs end (experiments/actions.py);
        this nudge covers the rest: one that waited on a rate limit with nothing in flight,
        or whose process stopped between a run's end and the next submit. Every runner
        does it; it is idempotent (the experiment's row is locked while it advances)."""
        from playground.experiments.actions import advance_waiting

        def advance_and_name() -> list[str | None]:
            return [group_of(pk) for pk in advance_waiting(notify_after=False)]

        while True:
            await asyncio.sleep(EXPERIMENT_NUDGE_SECONDS)
            try:
                groups = await self.writer.run(advance_and_name)
            except Exception:  # a database hiccup: the next round tries again
                log.warning("runner %s: could not advance experiments", self.name, exc_info=True)
                continue
            for group in groups:
                await notify_group_async(group)
            if groups:
                self.wake()

    async def _release_all(self) -> None:
        """Cancel every generation's task and wait for them all to end.

        The cancel is sent again to tasks still running after a moment: a library that
        swallows one (redis-py 8 returned normally when a cancel landed mid-command) would
        otherwise make a shutdown wait for its runs to finish at fal, and a restarted
        runner find them still leased."""
        while pending := [task for task in self.tasks.values() if not task.done()]:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=CANCEL_AGAIN_SECONDS)

    # -- one generation -------------------------------------------------------------------
    async def _track(self, generation: Generation) -> None:
        tracker = Tracker(self, generation)
        self.trackers[tracker.code] = tracker
        try:
            await tracker.run()
        except asyncio.CancelledError:
            # Shutting down: let the lease lapse at once so another runner resumes it.
            await self.writer.run(_release, generation.pk, self.name)
            raise
        except Exception:
            log.exception("runner: generation %s crashed", generation.code)
            await tracker.fail({"message": "Internal error while tracking this generation."})
        finally:
            self.trackers.pop(tracker.code, None)


def _release(pk: int, owner: str) -> None:
    Generation.objects.filter(pk=pk, lease_owner=owner).update(lease_owner="", lease_until=None)


class Tracker:
    """Follows one generation from PENDING to a final status."""

    def __init__(self, runner: Runner, generation: Generation) -> None:
        self.runner = runner
        self.generation = generation
        self.logs_seen = 0
        self.cancel_asked = generation.cancel_requested
        self.cancel_sent = False
        self.next_seq: int | None = None  # the next event number, once the history is read
        self.retry_shown = True  # whether the panel may show a "retrying" notice
        self.fal: Any = None  # the client, while one is open

    @property
    def code(self) -> str:
        return str(self.generation.code)

    async def run(self) -> None:
        generation = self.generation
        if generation.cancel_requested and not generation.fal_request_id:
            return await self.finish(
                Status.CANCELLED, error={"message": "Cancelled before it started."}
            )
        self.logs_seen, self.next_seq = await self.runner.db.run(_history, generation)
        try:
            key = await self.runner.db.run(resolve_fal_key, generation.owner_id, generation.team_id)
        except NoFalKey as error:
            return await self.finish(Status.FAILED, error={"message": str(error)})
        fal = self.fal = self.runner.client_for(key).with_retry_hook(self.on_retry)
        try:
            if generation.mode == Mode.QUEUE:
                await self.run_queued(fal)
            else:
                await self.run_direct(fal)
        except FalError as error:
            await self.handle_error(error)
        except InputUnavailable as error:
            await self.fail({"message": str(error)})

    async def payload(self, fal: Any) -> dict[str, Any]:
        """The input as sent: files of our own storage as URLs the backend can fetch."""
        return await fetchable_input(
            self.generation.input,
            owner_id=self.generation.owner_id,
            upload=fal.upload,
            in_thread=self.runner.db.run,
        )

    # -- queue mode -----------------------------------------------------------------------
    async def run_queued(self, fal: Any) -> None:
        generation = self.generation
        if not generation.fal_request_id:
            payload = await self.payload(fal)
            async with self.runner.submit_gate:
                handle = await fal.submit(
                    generation.endpoint_id, payload, webhook_url=webhook_url()
                )
            await self.update(
                fal_request_id=handle.request_id,
                submitted=timezone.now(),
                status=Status.QUEUED,
                queue_position=handle.queue_position,
                events=[
                    (EventKind.STATUS, {"status": "queued", "position": handle.queue_position})
                ],
            )
        # Asked while it was being sent, or before a restart of the runner resuming it.
        await self.maybe_cancel()
        final = await self.follow_until_started_in_time(fal)
        if final is None:
            return await self.give_up_in_queue(fal)
        if final.failed:
            return await self.fetch_failure(fal, final)
        result = await fal.fetch_result(generation.endpoint_id, generation.fal_request_id)
        await self.complete(fal, result.data, final.metrics, billable_units=result.billable_units)

    async def follow_until_started_in_time(self, fal: Any) -> QueueStatus | None:
        """`follow`, or None when fal has not started the request by the queue deadline.

        The deadline counts from the stored submit time, so a runner resuming after a
        restart keeps it. When it passes, fal is asked once more: a request that started
        (or ended) meanwhile is followed on; one still queued is given up."""
        following = asyncio.ensure_future(self.follow(fal))
        try:
            while True:
                left = self.seconds_left_in_queue()
                done, _ = await asyncio.wait({following}, timeout=left)
                if done:
                    return following.result()
                if self.generation.status != Status.QUEUED:
                    continue  # it started: no deadline any more (left is None)
                gen = self.generation
                status = await fal.status(gen.endpoint_id, gen.fal_request_id)
                await self.apply(status)
                if status.done:
                    return status
                if status.status is QueueState.IN_QUEUE:
                    return None
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)

    def seconds_left_in_queue(self) -> float | None:
        """Time left for fal to start the request; None once it has started."""
        if self.generation.status != Status.QUEUED:
            return None
        since = self.generation.submitted or self.generation.created
        waited = (timezone.now() - since).total_seconds()
        return max(0.0, settings.RUNNER_QUEUE_DEADLINE_SECONDS - waited)

    async def give_up_in_queue(self, fal: Any) -> None:
        """Cancel at fal a request it never started, and fail the generation plainly."""
        self.cancel_sent = True  # no second cancel from a cancel request racing this one
        try:
            await fal.cancel(self.generation.endpoint_id, self.generation.fal_request_id)
        except FalError as error:  # e.g. it completed a moment ago: the failure stands
            log.info("cancel of %s at the queue deadline: %s", self.code, error)
        waited = _duration(settings.RUNNER_QUEUE_DEADLINE_SECONDS)
        message = f"fal did not start this request within {waited}; it was cancelled."
        await self.fail({"message": message, "type": "queue_deadline"})

    async def follow(self, fal: Any) -> QueueStatus:
        """The status stream, falling back to polling if it drops or is unavailable."""
        endpoint_id, request_id = self.generation.endpoint_id, self.generation.fal_request_id
        try:
            async for status in fal.stream_status(endpoint_id, request_id):
                await self.apply(status)
                # Cancels reach a streaming tracker through Runner.cancel (a wake-up
                # message, or _watch_cancels reading the stored flag).
                if status.done:
                    return status
        except FalError as error:
            log.info("status stream of %s failed (%s); polling", self.code, error)
        while True:
            status = await fal.status(endpoint_id, request_id)
            await self.apply(status)
            if status.done:
                return status
            await asyncio.sleep(settings.RUNNER_STATUS_POLL_SECONDS)

    async def maybe_cancel(self) -> None:
        """Cancel at fal if asked (Runner.cancel: a wake-up message or the stored flag)."""
        fal = self.fal
        if fal is None or not self.generation.fal_request_id:
            return  # not at fal yet: checked again right after the submit
        if self.cancel_asked and not self.cancel_sent:
            self.cancel_sent = True
            try:
                await fal.cancel(self.generation.endpoint_id, self.generation.fal_request_id)
            except FalHTTPError as error:
                log.info("cancel of %s: %s", self.code, error)  # e.g. already completed

    async def apply(self, status: QueueStatus) -> None:
        """Turn a fal status into our status, queue position, progress and log events."""
        new_logs = status.logs[self.logs_seen :]
        self.logs_seen = len(status.logs)
        events: list[tuple[str, dict]] = []
        fields: dict[str, Any] = {}
        state = Status.QUEUED if status.status is QueueState.IN_QUEUE else Status.RUNNING
        if (
            status.status is QueueState.IN_QUEUE
            and status.queue_position != self.generation.queue_position
        ):
            fields["queue_position"] = status.queue_position
            events.append(
                (EventKind.STATUS, {"status": "queued", "position": status.queue_position})
            )
        if state == Status.RUNNING and self.generation.status != Status.RUNNING:
            fields.update(status=Status.RUNNING, queue_position=None, started=timezone.now())
            events.append((EventKind.STATUS, {"status": "running"}))
        if new_logs:
            events.append((EventKind.LOG, _log_payload(new_logs)))
        if fields or events:
            await self.update(events=events, **fields)

    async def fetch_failure(self, fal: Any, final: QueueStatus) -> None:
        """A failed request's result answers fal's error status and body: keep its details."""
        if final.error_type == "client_cancelled":
            return await self.finish(Status.CANCELLED, error={"message": "Cancelled."})
        try:
            await fal.result(self.generation.endpoint_id, self.generation.fal_request_id)
        except FalHTTPError as error:
            # The request is over: its error is final, whatever its HTTP status says.
            return await self.fail(describe(error))
        await self.fail({"message": final.error or "The model failed.", "type": final.error_type})

    # -- run and stream modes -------------------------------------------------------------
    async def run_direct(self, fal: Any) -> None:
        generation = self.generation
        if generation.submitted:
            # A direct run has no request id to resume from; re-running could bill twice.
            return await self.fail(
                {"message": "Interrupted by a restart before it finished. Run it again."}
            )
        await self.update(
            submitted=timezone.now(),
            status=Status.RUNNING,
            started=timezone.now(),
            events=[(EventKind.STATUS, {"status": "running"})],
        )
        units = None  # a stream's answer carries no billable units header
        if generation.mode == Mode.STREAM:
            output = None
            async for event in fal.stream(generation.endpoint_id, await self.payload(fal)):
                if streaming.is_status_event(event):  # progress: its logs, no output
                    if logs := streaming.status_logs(event):
                        await self.update(events=[(EventKind.LOG, _log_payload(logs))])
                    continue
                if failure := streaming.failure_of(event):
                    return await self.fail(failure)
                output = event
                await self._write(actions.record_partial, data=_trim(event))
            if output is None:
                return await self.fail({"message": "The stream ended without an output."})
        else:
            result = await fal.run(generation.endpoint_id, await self.payload(fal))
            output, units = result.data, result.billable_units
            if result.request_id:
                await self.update(fal_request_id=result.request_id)
        await self.complete(fal, output, {}, billable_units=units)

    # -- endings --------------------------------------------------------------------------
    async def complete(
        self, fal: Any, output: Any, metrics: dict, *, billable_units: float | None = None
    ) -> None:
        assets = await copy_assets(
            fal, self.generation, output, db=self.runner.writer, files=self.runner.files
        )
        await self.finish(
            Status.COMPLETED,
            output=output,
            metrics={**metrics, "assets": len(assets)},
            media_kind=output_kind(assets, output),
            billable_units=billable_units,
        )

    async def handle_error(self, error: FalError) -> None:
        if self.worth_retrying(error) and await self.retry_later(error):
            return
        await self.fail(describe(error))

    def worth_retrying(self, error: FalError) -> bool:
        """Once fal has the request id, reading it again is always safe: any transient
        upstream error is retried later. Before that, only errors that prove fal did not
        take the submit are (a retry could otherwise run the model twice)."""
        if self.generation.fal_request_id:
            transient = (FalConnectionError, FalTimeoutError, FalRateLimitError, FalServerError)
            return isinstance(error, transient) and not getattr(error, "is_user_timeout", False)
        return is_retryable(error, idempotent=False)

    async def retry_later(self, error: FalError) -> bool:
        """Back off and let a runner try again, until the give-up time has passed."""
        age = (timezone.now() - self.generation.created).total_seconds()
        if age > settings.RUNNER_GIVE_UP_SECONDS:
            return False
        attempts = self.generation.attempts + 1
        delay = min(60.0, settings.RUNNER_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 6))
        await self.update(
            attempts=attempts,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            lease_owner="",
            lease_until=None,
            events=[(EventKind.RETRY, {"message": str(error), "in_seconds": delay})],
        )
        return True

    async def on_retry(self, error: FalError, attempt: int, delay: float) -> None:
        payload = {"message": str(error), "attempt": attempt, "in_seconds": round(delay, 2)}
        await self.update(events=[(EventKind.RETRY, payload)])

    async def fail(self, error: dict) -> None:
        await self.finish(Status.FAILED, error=error)

    async def finish(self, status: str, **kwargs: Any) -> None:
        await self._write(actions.finish_generation, status=status, **kwargs)

    async def update(self, *, events: list | None = None, **fields: Any) -> None:
        await self._write(actions.update_generation, events=events, **fields)

    async def _write(self, action: Any, **kwargs: Any) -> None:
        """Commit on a database thread, render the news there too, then tell watchers from
        the event loop (the in-memory channel layer belongs to it)."""

        def write_and_render() -> dict[str, Any]:
            created = action(
                generation=self.generation,
                notify_after=False,
                first_seq=self.next_seq,
                **kwargs,
            )
            message = actions.change_message(self.generation, created, with_status=self.retry_shown)
            if created:
                self.next_seq = created[-1].seq + 1
                self.retry_shown = created[-1].kind == EventKind.RETRY
            # An experiment's run: its grid follows (and, once the run ended, the
            # experiment has submitted its next cells after the commit: actions.py).
            grid = group_of(self.generation.experiment_id) if "status" in kwargs else None
            return message, grid

        message, grid = await self.runner.writer.run(write_and_render)
        await actions.notify_async(self.generation, message)
        if "status" in kwargs:  # the owner's lists of runs follow (jobs/live.py)
            await live.notify_owner_async(self.generation)
        if grid:
            await notify_group_async(grid)
            self.runner.wake()  # claim the cells just submitted now, not at the next poll


def webhook_url() -> str | None:
    """fal calls us back when a request ends, if this server is reachable from outside."""
    if not settings.PUBLIC_BASE_URL:
        return None
    return f"{settings.PUBLIC_BASE_URL}/webhooks/fal"


def describe(error: FalError) -> dict[str, Any]:
    """An error in plain words, keeping fal's details (field errors by input path)."""
    described: dict[str, Any] = {"message": str(getattr(error, "message", "") or error)}
    if isinstance(error, FalConnectionError | FalTimeoutError) and not getattr(
        error, "never_sent", False
    ):
        # Said plainly: it is not retried because fal may already be running it.
        described["message"] = (
            f"The connection to fal broke while sending this run ({error}); fal may or may "
            "not have started it, so it was not sent again. Run it again if nothing arrives."
        )
    if isinstance(error, FalHTTPError):
        described.update(status_code=error.status_code, type=error.error_type)
    if isinstance(error, FalValidationError):
        described["field_errors"] = error.errors_by_path()
        described["message"] = "fal rejected some inputs."
    return described


def _duration(seconds: float) -> str:
    """60 -> "1 minute", 3600 -> "60 minutes", 0.5 -> "0.5 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def _log_payload(logs: list) -> dict[str, Any]:
    lines = [{"message": e.message, "level": e.level, "timestamp": e.timestamp} for e in logs]
    payload: dict[str, Any] = {"lines": lines}
    for entry in reversed(logs):
        match = STEP.search(entry.message)
        if match and int(match.group(2)) > 0:
            payload["progress"] = round(int(match.group(1)) / int(match.group(2)), 3)
            break
    return payload


def _trim(event: Any) -> Any:
    """Partial outputs can be large; keep events small (the final output is stored whole).
    Only the newest partial is kept (actions.record_partial), so a long answer still fits."""
    text = repr(event)
    return event if len(text) < PARTIAL_KEEP_CHARS else {"note": "partial output too large to keep"}


def _history(generation: Generation) -> tuple[int, int]:
    """(log lines recorded so far, the next event seq): where a resumed tracker goes on."""
    logs, last_seq = 0, 0
    for kind, payload, seq in generation.events.values_list("kind", "payload", "seq"):
        if kind == EventKind.LOG:
            logs += len(payload.get("lines", []))
        last_seq = max(last_seq, seq)
    return logs, last_seq + 1


def _cancels_requested(pks: list[int]) -> list[str]:
    codes: list[str] = []
    for start in range(0, len(pks), 500):  # SQLite caps the parameters of one query
        chunk = pks[start : start + 500]
        rows = Generation.objects.filter(pk__in=chunk, cancel_requested=True).values_list("code")
        codes += [str(code) for (code,) in rows]
    return codes
