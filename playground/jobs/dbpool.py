"""A small thread pool for ORM work from async code, whose connections can be closed."""

from __future__ import annotations

import asyncio
import functools
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
    """All of a runner's writes, on one thread, committed in groups.

    Writes queue up while a group commits, and the next group takes them all in one
    transaction (each in a savepoint of its own, so one failing write fails alone). On
    SQLite this is the only way to write without waiting: a second writer would sleep in
    SQLite's busy handler, in steps of up to 100 ms. On any database it turns a burst of
    status events into one commit instead of hundreds."""

    def __init__(self, name: str = "db-writer") -> None:
        self.pool = DbPool(1, name=name)
        self.pending: list[tuple[Callable[[], Any], asyncio.Future]] = []
        self.flushing = False

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((functools.partial(fn, *args, **kwargs), future))
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        group: list[tuple[Callable[[], Any], asyncio.Future]] = []
        try:
            while self.pending:
                group, self.pending = self.pending, []
                try:
                    outcomes = await self.pool.run(_commit_group, [call for call, _ in group])
                except asyncio.CancelledError:
                    # The loop is going away: nobody may wait forever for an answer.
                    for _, future in group + self.pending:
                        future.cancel()
                    self.pending = []
                    raise
                except Exception as error:  # the commit itself failed: every write did
                    outcomes = [error] * len(group)
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    if future.done():
                        continue  # its waiter was cancelled
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self.flushing = False

    def close(self) -> None:
        self.pool.close()


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
