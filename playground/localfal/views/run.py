"""The run host (https://fal.run): a direct run, and `/stream` as Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponse

from playground.localfal.engine import EmuRequest, get_engine
from playground.localfal.streaming import partials
from playground.localfal.views.common import api, prepare, result_response, sse, with_request_id


@api("POST", route="run")
async def run(request: HttpRequest, endpoint_path: str) -> HttpResponse:
    path = endpoint_path.rstrip("/")
    is_stream = path.endswith("/stream")
    emu = await prepare(request, path.removesuffix("/stream") if is_stream else path)
    if isinstance(emu, HttpResponse):
        return emu
    engine = get_engine()
    engine.submit(emu)
    if is_stream:
        return with_request_id(sse(_stream_events(emu)), emu.request_id)
    await engine.wait(emu.request_id)
    return result_response(emu)


async def _stream_events(emu: EmuRequest) -> AsyncIterator[Any]:
    """Progress events (new log lines) while it runs, then partial outputs (streaming.py:
    text growing word by word, image previews), then the output as the last event."""
    subscription = get_engine().subscribe(emu.request_id, logs=True)
    seen = 0
    try:
        while True:
            snapshot = await subscription.next()
            if snapshot["status"] == "COMPLETED":
                break
            new_logs = (snapshot["logs"] or [])[seen:]
            seen += len(new_logs)
            if new_logs:
                yield {"status": snapshot["status"], "logs": new_logs}
    finally:
        subscription.close()
    if emu.failure:
        yield {
            "error": emu.failure.message,
            "error_type": emu.failure.error_type,
            **emu.failure.body,
        }
    else:
        async for partial in partials(emu.output, speed=get_engine().speed):
            yield partial
        yield emu.output
