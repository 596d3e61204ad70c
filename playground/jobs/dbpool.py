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
