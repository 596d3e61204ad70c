from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from playground.jobs.runner import Runner
from playground.lib.limits import raise_open_file_limit
from playground.lib.memory import freeze_startup_objects


class Command(BaseCommand):
    help = "Run a generation runner as a worker process (any number may run side by side)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--capacity", type=int, help="generations tracked at once")

    def handle(self, *args: Any, capacity: int | None = None, **options: Any) -> None:
        if not settings.REDIS_URL:
            self.stderr.write(
                "runjobs: REDIS_URL is not set, so this worker cannot tell browsers about "
                "progress or hear about new work at once (it polls every "
                f"{settings.RUNNER_POLL_SECONDS:g} s). Use REDIS_URL with separate workers."
            )
        raise_open_file_limit()
        freeze_startup_objects()
        asyncio.run(self._serve(capacity))

    async def _serve(self, capacity: int | None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = Runner(capacity=capacity)
        self.stdout.write(f"runjobs: runner {runner.name} is tracking generations (Ctrl+C stops)")
        self.stdout.flush()
        await runner.run(stop)
        self.stdout.write("runjobs: stopped; unfinished generations will be resumed by any runner")
