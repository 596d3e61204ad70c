"""A small thread pool for ORM work from async code, whose connections can be closed."""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections


class DbPool:
    """ORM work off the event loop, on threads of its own (one connection each).

    Not asgiref's pools, so closing it can close those connections: Postgres will not drop
    or migrate a database that others still hold open (tests, shutdowns).
    """

    def __init__(self, size: int, name: str = "db") -> None:
        self.size = size
        self.closed = False
        self.executor = ThreadPoolExecutor(size, thread_name_prefix=name)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    def close(self) -> None:
        self.closed = True
        barrier = threading.Barrier(self.size)

        def close_this_threads_connections() -> None:
            barrier.wait(timeout=10)  # every thread takes exactly one of these
            connections.close_all()

        futures = [self.executor.submit(close_this_threads_connections) for _ in range(self.size)]
        for future in futures:
            future.result(timeout=15)
        self.executor.shutdown(wait=True)


class GroupWriter:
    """All of a runner's writes, on one thread of its own, committed in groups.

    Writes queue up while a group commits, and the next group takes them all in one
    transaction (each in a savepoint of its own, so one failing write fails alone). On
    SQLite this is the only way to write without waiting: a second writer would sleep in
    SQLite's busy handler, in steps of up to 100 ms. On any database it turns a burst of
    status events into one commit instead of hundreds.

    The thread pulls the next group itself as soon as a commit ends, and answers a whole
    group with one call into the event loop: a status event waits for the commit before
    it, never for trips between the loop and a pool thread (they are most of its latency
    when hundreds of generations are in flight). A write whose caller stops waiting is
    still made; once the writer is closed, new writes fail at once.
    """

    def __init__(self, name: str = "db-writer") -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = False
        # Orders writes before the closing sentinel: none can be queued behind it unanswered.
        self._closing = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._closing:
            if self.closed:
                raise RuntimeError("the database writer is closed")
            self.queue.put((functools.partial(fn, *args, **kwargs), future, loop))
        return await future

    def close(self) -> None:
        with self._closing:
            self.closed = True
            self.queue.put(None)
        self.thread.join(timeout=30)

    def _serve(self) -> None:
        try:
            while (group := self._next_group()) is not None:
                _answer(group, commit_writes([call for call, _, _ in group]))
        finally:
            connections.close_all()

    def _next_group(self) -> list | None:
        """Every write queued now (waiting for the first), or None once closed."""
        first = self.queue.get()
        if first is None:
            return None
        group = [first]
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return group
            if item is None:
                self.queue.put(None)  # stop after this group
                return group
            group.append(item)


def _answer(group: list, outcomes: list[Any]) -> None:
    """Hand the outcomes to their event loops, one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for (_, future, loop), outcome in zip(group, outcomes, strict=True):
        by_loop.setdefault(loop, []).append((future, outcome))
    for loop, answers in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, answers)
        except RuntimeError:
            pass  # that loop is closed: nobody is waiting any more


def _settle(answers: list[tuple[asyncio.Future, Any]]) -> None:
    for future, outcome in answers:
        if future.done():
            continue  # its waiter was cancelled
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def commit_writes(calls: list[Callable[[], Any]]) -> list[Any]:
    """Each call's outcome (its result or its exception), committed as one group when they
    can be. A group whose commit fails is made again one call at a time, so only the call
    at fault fails: Postgres checks foreign keys at commit, and one event written for a run
    deleted meanwhile (a purge) must not undo, or fail, the runner's other writes."""
    try:
        return _commit_group(calls)
    except Exception:
        return [_commit_alone(call) for call in calls]


def _commit_alone(call: Callable[[], Any]) -> Any:
    from django.db import transaction

    try:
        with transaction.atomic():
            return call()
    except Exception as error:
        return error


def _commit_group(calls: list[Callable[[], Any]]) -> list[Any]:
    from django.db import transaction

    outcomes: list[Any] = []
    with transaction.atomic():
        for call in calls:
            try:
                with transaction.atomic():
                    outcomes.append(call())
            except Exception as error:
                outcomes.append(error)
    return outcomes
