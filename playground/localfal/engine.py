"""The emulator's queue: runners, request state, logs and live status subscriptions.

One engine per process, on its own thread and event loop, so it behaves like a remote
service whatever calls it: daphne's loop, Django's test client (a fresh loop per request),
or `manage.py localfal`. State changes happen on the engine thread under a lock; callers
on any thread read snapshots and receive live updates through their own loop.

State is in memory, like a real remote queue seen from outside: a restart of the process
forgets the emulator's requests (the product's runner treats them as lost upstream).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from playground.localfal.faults import Fault, book

log = logging.getLogger(__name__)
KEEP_COMPLETED = 5000
# Seconds a request of each category "computes" at LOCALFAL_SPEED = 1.
BASE_SECONDS = {"video": 6.0, "training": 10.0, "audio": 3.0, "speech": 2.0, "llm": 1.5}
DEFAULT_SECONDS = 2.5
MAX_LOG_STEPS = 8


@dataclass
class Failure:
    """Why a request failed, and what its result endpoint answers."""

    message: str
    error_type: str
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EmuRequest:
    endpoint_id: str
    app: str
    category: str
    input: dict[str, Any]
    output_schema: dict[str, Any]
    base_url: str
    faults: list[Fault] = field(default_factory=list)
    fault_source: str = ""
    webhook_url: str | None = None
    # The webhook is this server itself (see localfal.webhooks.webhook_target): delivered
    # to without the public-address check.
    webhook_to_self: bool = False
    priority: str = "normal"
    invalid: list[dict[str, Any]] = field(default_factory=list)
    start_timeout: float | None = None
    owner: str = ""  # fingerprint of the key that submitted it (localfal/auth.py)
    # What fal bills it in (the endpoint's price unit, playground/usage), and how many of
    # them it made: sent as x-fal-billable-units with its result, as fal does.
    pricing_unit: str = ""
    billable_units: float | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "IN_QUEUE"
    logs: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    failure: Failure | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    cancel_requested: bool = False

    def urls(self) -> dict[str, str]:
        base = f"{self.base_url}/queue/{self.app}/requests/{self.request_id}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }


class Subscription:
    """Live status snapshots of one request, delivered on the subscriber's own loop."""

    def __init__(self, engine: Engine, request_id: str, logs: bool) -> None:
        self.engine = engine
        self.request_id = request_id
        self.logs = logs
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def push(self, snapshot: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, snapshot)

    async def next(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self.engine.unsubscribe(self)


class Engine:
    def __init__(self, *, runners: int, speed: float) -> None:
        self.runners = max(1, runners)
        self.speed = max(0.0, speed)
        self._lock = threading.RLock()
        self._requests: dict[str, EmuRequest] = {}
        self._waiting: list[str] = []
        self._subscribers: dict[str, set[Subscription]] = {}
        self._done: dict[str, list[Callable[[], None]]] = {}
        self._order = itertools.count()
        # Runners are how many requests run at once; the CPU work of their apps (pictures,
        # video, audio) gets one thread per core. A hundred busy threads would each take the
        # GIL in turn and starve the event loop that serves status streams.
        workers = min(self.runners, os.cpu_count() or 2)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="localfal-app")
        self.loop = asyncio.new_event_loop()
        self._wake: asyncio.Condition | None = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.name = "localfal-engine"
        self._thread.start()
        ready.wait()

    # -- thread ---------------------------------------------------------------------------
    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self._wake = asyncio.Condition()
        for _ in range(self.runners):
            self.loop.create_task(self._runner())
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    def stop(self) -> None:
        """Cancel the runners and end the engine thread (tests and shutdown)."""

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
        self._thread.join(timeout=5)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- API for views (any thread) -------------------------------------------------------
    def submit(self, request: EmuRequest) -> dict[str, Any]:
        with self._lock:
            self._requests[request.request_id] = request
            if request.priority == "low":
                self._waiting.append(request.request_id)
            else:  # normal priority goes ahead of every low-priority request
                lows = [i for i, rid in enumerate(self._waiting) if self._is_low(rid)]
                self._waiting.insert(lows[0] if lows else len(self._waiting), request.request_id)
            snapshot = self.snapshot(request.request_id, logs=False)
        self.loop.call_soon_threadsafe(self._kick)
        if request.start_timeout is not None:
            self.loop.call_soon_threadsafe(
                self.loop.call_later, request.start_timeout, self._start_deadline, request
            )
        return snapshot

    def _start_deadline(self, request: EmuRequest) -> None:
        """X-Fal-Request-Timeout: a request still waiting for a runner now fails (504)."""
        with self._lock:
            if request.status != "IN_QUEUE":
                return
            self._waiting.remove(request.request_id)
            self._finish(request, failure=_start_timed_out(request.start_timeout or 0))
            for rid in self._waiting:
                self._notify(rid)

    def queue_full(self) -> bool:
        """Whether the queue holds as many waiting requests as it may (LOCALFAL_MAX_QUEUED)."""
        with self._lock:
            return len(self._waiting) >= settings.LOCALFAL_MAX_QUEUED

    def _is_low(self, request_id: str) -> bool:
        return self._requests[request_id].priority == "low"

    def listing(self) -> list[dict[str, Any]]:
        """Every request this engine knows, oldest first (tests count submissions)."""
        with self._lock:
            requests = sorted(self._requests.values(), key=lambda r: r.created)
            return [
                {"request_id": r.request_id, "endpoint_id": r.endpoint_id, "status": r.status}
                for r in requests
            ]

    def get(self, request_id: str) -> EmuRequest | None:
        with self._lock:
            return self._requests.get(request_id)

    def snapshot(self, request_id: str, *, logs: bool) -> dict[str, Any] | None:
        """The status JSON of fal's queue API (fal-protocol.md §4.2)."""
        with self._lock:
            request = self._requests.get(request_id)
            if request is None:
                return None
            body: dict[str, Any] = {
                "status": request.status,
                "request_id": request.request_id,
                **request.urls(),
                # Python's client needs the key even when logs were not asked for.
                "logs": [dict(entry) for entry in request.logs] if logs else None,
            }
            if request.status == "IN_QUEUE":
                body["queue_position"] = self._waiting.index(request_id)
            if request.status == "COMPLETED":
                body["metrics"] = dict(request.metrics)
                if request.failure:
                    body["error"] = request.failure.message
                    body["error_type"] = request.failure.error_type
            return body

    def subscribe(self, request_id: str, *, logs: bool) -> Subscription:
        subscription = Subscription(self, request_id, logs)
        with self._lock:
            self._subscribers.setdefault(request_id, set()).add(subscription)
            snapshot = self.snapshot(request_id, logs=logs)
        if snapshot:
            subscription.push(snapshot)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.get(subscription.request_id, set()).discard(subscription)

    async def wait(self, request_id: str) -> None:
        """Return once the request is COMPLETED (from any loop)."""
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status == "COMPLETED":
                return
            self._done.setdefault(request_id, []).append(
                lambda: loop.call_soon_threadsafe(finished.set)
            )
        await finished.wait()

    def cancel(self, request_id: str) -> str:
        """fal's cancel outcomes: CANCELLATION_REQUESTED, ALREADY_COMPLETED or NOT_FOUND."""
        with self._lock:
            request = self._requests.get(request_id)
            if request is None:
                return "NOT_FOUND"
            if request.status == "COMPLETED":
                return "ALREADY_COMPLETED"
            request.cancel_requested = True
            if request.status == "IN_QUEUE":
                self._waiting.remove(request_id)
                self._finish(request, failure=_cancelled())
                for rid in self._waiting:
                    self._notify(rid)
        return "CANCELLATION_REQUESTED"

    def log_line(self, request_id: str, message: str, level: str = "INFO") -> None:
        """Thread-safe: apps running in the executor call this."""
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status == "COMPLETED":
                return
            request.logs.append(
                {
                    "message": message,
                    "level": level,
                    "source": "USER",
                    "timestamp": datetime.now(UTC).isoformat(),
                }
            )
            self._notify(request_id)

    # -- internals (engine thread) --------------------------------------------------------
    def _kick(self) -> None:
        self.loop.create_task(self._notify_runners())

    async def _notify_runners(self) -> None:
        assert self._wake is not None
        async with self._wake:
            self._wake.notify_all()

    async def _runner(self) -> None:
        assert self._wake is not None
        while True:
            async with self._wake:
                await self._wake.wait_for(lambda: bool(self._waiting))
                request_id = self._take_next()
            if request_id:
                try:
                    await self._process(request_id)
                except Exception:  # a bug in an app must never kill a runner
                    log.exception("localfal: request %s crashed", request_id)
                    self._fail(request_id, _internal("The model crashed."))

    def _take_next(self) -> str | None:
        with self._lock:
            if not self._waiting:
                return None
            request_id = self._waiting.pop(0)
            request = self._requests[request_id]
            request.status = "IN_PROGRESS"
            request.started = time.monotonic()
            # Everyone still waiting moved up one place.
            for rid in [request_id, *self._waiting]:
                self._notify(rid)
            return request_id

    async def _process(self, request_id: str) -> None:
        from playground.localfal.worker import run_app

        request = self._requests[request_id]
        if request.invalid:
            return self._fail(request_id, _invalid(request.invalid))
        slow = book.pick("app", request.fault_source, request.faults, action="slow")
        await self._simulate_steps(request, extra=slow.seconds if slow else 0.0)
        if request.cancel_requested:
            return self._fail(request_id, _cancelled())
        if book.pick("app", request.fault_source, request.faults, action="fail"):
            return self._fail(request_id, _internal("Injected model failure (localfal fault)."))
        started = time.monotonic()
        outcome = await self.loop.run_in_executor(
            self._executor, run_app, request, lambda msg: self.log_line(request_id, msg)
        )
        with self._lock:
            if isinstance(outcome, Failure):
                self._finish(request, failure=outcome)
            else:
                request.metrics = {"inference_time": round(time.monotonic() - started, 4)}
                self._finish(request, output=outcome)

    async def _simulate_steps(self, request: EmuRequest, extra: float) -> None:
        total = _int(request.input.get("num_inference_steps"), 0) or 20
        shown = min(total, MAX_LOG_STEPS)
        seconds = BASE_SECONDS.get(request.category, DEFAULT_SECONDS) * self.speed + extra
        self.log_line(request.request_id, f"Starting {request.endpoint_id} on the local emulator")
        for step in range(1, shown + 1):
            await asyncio.sleep(seconds / shown)
            if request.cancel_requested:
                return
            self.log_line(request.request_id, f"step {round(step * total / shown)}/{total}")

    def _fail(self, request_id: str, failure: Failure) -> None:
        with self._lock:
            request = self._requests.get(request_id)
            if request and request.status != "COMPLETED":
                self._finish(request, failure=failure)

    def _finish(self, request: EmuRequest, *, output: Any = None, failure: Failure | None = None):
        request.status = "COMPLETED"
        request.output = output
        request.failure = failure
        request.metrics.setdefault("inference_time", 0.0)
        self._notify(request.request_id)
        for callback in self._done.pop(request.request_id, []):
            callback()
        if request.webhook_url:
            from playground.localfal.webhooks import deliver

            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(deliver(request)))
        self._prune()

    def _notify(self, request_id: str) -> None:
        for subscription in list(self._subscribers.get(request_id, ())):
            snapshot = self.snapshot(request_id, logs=subscription.logs)
            if snapshot:
                subscription.push(snapshot)

    def _prune(self) -> None:
        completed = [r for r in self._requests.values() if r.status == "COMPLETED"]
        for request in sorted(completed, key=lambda r: r.created)[:-KEEP_COMPLETED]:
            self._requests.pop(request.request_id, None)
            self._subscribers.pop(request.request_id, None)


def _cancelled() -> Failure:
    body = {"detail": "Request was cancelled by the client.", "error_type": "client_cancelled"}
    return Failure("Request was cancelled by the client.", "client_cancelled", 499, body)


def _invalid(detail: list[dict[str, Any]]) -> Failure:
    return Failure("Invalid status code: 422", "validation_error", 422, {"detail": detail})


def _start_timed_out(seconds: float) -> Failure:
    message = f"Request did not start within its {seconds:g} s start timeout."
    body = {"detail": message, "error_type": "request_timeout"}
    headers = {"X-Fal-Request-Timeout-Type": "user"}
    return Failure(message, "request_timeout", 504, body, headers)


def _internal(message: str) -> Failure:
    return Failure(
        message,
        "runner_server_error",
        500,
        {"detail": message, "error_type": "runner_server_error"},
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine(runners=settings.LOCALFAL_RUNNERS, speed=settings.LOCALFAL_SPEED)
        return _engine


def reset_engine() -> None:
    """Tests: forget every request and take runner/speed settings afresh."""
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.stop()
        _engine = None
    book.reset()
