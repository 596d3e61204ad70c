"""The events of a streaming run, sorted by what they are.

A `/stream` answer mixes two kinds of `data:` events: status events of fal's queue shape
(`{"status": "IN_PROGRESS", "logs": [...]}`), whose logs belong in the logs box and which
are no output at all, and partial outputs of the app (text so far, image previews, ...).
Only the latter are partial results; the last of them is the output, unless it is an
error (`failure_of`).
"""

from __future__ import annotations

from typing import Any

from playground.fal.types import LogEntry, QueueState

STATUS_KEYS = {
    "status",
    "logs",
    "queue_position",
    "request_id",
    "response_url",
    "status_url",
    "cancel_url",
    "metrics",
}
QUEUE_STATES = {state.value for state in QueueState}


def is_status_event(event: Any) -> bool:
    """A queue-shaped status event: a fal status and nothing but status fields."""
    return (
        isinstance(event, dict)
        and event.get("status") in QUEUE_STATES
        and set(event) <= STATUS_KEYS
    )


def status_logs(event: dict[str, Any]) -> list[LogEntry]:
    return [LogEntry.from_json(item) for item in event.get("logs") or []]


def failure_of(event: Any) -> dict[str, Any] | None:
    """The error a stream ended with (fal's error shape: `error` and `error_type`), as a
    generation error; None when the event is an output (an LLM's `"error": null` is one)."""
    if not isinstance(event, dict) or not event.get("error_type"):
        return None
    return {"message": str(event.get("error") or "The model failed."), "type": event["error_type"]}
