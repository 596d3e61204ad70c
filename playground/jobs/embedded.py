"""The runner inside the web process: started once, on the first ASGI call."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings

from playground.jobs.runner import Runner
from playground.lib.limits import raise_open_file_limit
from playground.localfal.address import learn as learn_emulator_address

log = logging.getLogger(__name__)
_runner: Runner | None = None
_task: asyncio.Task | None = None


def ensure_started() -> None:
    """Start the embedded runner on the running loop, once (no-op when disabled)."""
    global _runner, _task
    if _task is not None or not settings.RUNNER_EMBEDDED:
        return
    raise_open_file_limit()
    _runner = Runner()
    _task = asyncio.get_running_loop().create_task(_runner.run())
    _task.add_done_callback(_report_exit)


def _report_exit(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception():
        log.error("embedded runner stopped", exc_info=task.exception())


class EmbeddedRunnerMiddleware:
    """ASGI wrapper: daphne has no lifespan events, so the first call starts the runner,
    once it has learned where this server's own emulator answers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        learn_emulator_address(scope)
        ensure_started()
        return await self.app(scope, receive, send)
