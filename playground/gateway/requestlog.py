"""Writing the request log: one row per fal request, follow-ups counted on it."""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, transaction
from django.utils import timezone

from playground.gateway.callers import Caller
from playground.gateway.models import STORED_TEXT_LIMIT, RequestLog
from playground.gateway.tally import tally
from playground.gateway.targets import Kind, Target
from playground.usage import rollup
from playground.usage.prices import acost_of

log = logging.getLogger(__name__)


def owned_row(caller: Caller, request_id: str) -> RequestLog | None:
    """The log row of `request_id` if this caller made it (through any entrance)."""
    rows = RequestLog.objects.filter(request_id=request_id, user_id=caller.user_id)
    return rows.order_by().only("pk", "created", "queue_ms", "endpoint_id").first()


def owns_generation(caller: Caller, request_id: str) -> bool:
    """Playground runs: the person's own generation with that fal request id."""
    from playground.jobs.models import Generation

    return Generation.objects.filter(fal_request_id=request_id, owner_id=caller.user_id).exists()


async def record_call(
    caller: Caller,
    target: Target,
    *,
    entrance: str,
    method: str,
    status: int,
    latency_ms: int,
    bytes_in: int,
    request_id: str = "",
    billable_units: float | None = None,
    error: str = "",
    input_body: bytes = b"",
    output_body: bytes = b"",
) -> int:
    row = await sync_to_async(create_row)(
        user_id=caller.user_id,
        token=caller.token,
        team_id=caller.team_id,
        entrance=entrance,
        kind=target.kind.value,
        endpoint_id=target.endpoint_id,
        request_id=request_id,
        method=method,
        status=status,
        state="COMPLETED" if target.kind is Kind.RUN and status < 400 else "",
        latency_ms=latency_ms,
        bytes_in=bytes_in,
        billable_units=billable_units,
        cost=await acost_of(target.endpoint_id, billable_units),
        error=error[:2000],
        input_text=stored_text(input_body),
        output_text=stored_text(output_body),
        bytes_out=len(output_body),
    )
    return row.pk


def create_row(**fields: Any) -> RequestLog:
    """A new log row, counted on its day of the usage roll-up (usage/rollup.py) in the
    same transaction."""
    with transaction.atomic():
        row = RequestLog.objects.create(**fields)
        rollup.count_rows([rollup.fields_of(row)])
    return row


async def add_bytes_out(row_id: int, sent: int) -> None:
    await tally().add(row_id, bytes_out=sent)


async def record_follow_up(
    row: RequestLog | None, target: Target, *, status: int, answer: bytes, billable: float | None
) -> None:
    if row is None:
        return
    changes: dict = {}
    queue_ms = None
    if target.action == "status" and (state := queue_state_of(answer)):
        changes["state"] = state
        if state != "IN_QUEUE":
            # As seen by the caller's polls: the first answer that left the queue.
            queue_ms = int((timezone.now() - row.created).total_seconds() * 1000)
    elif target.action == "result" and status == 200:
        changes["state"] = "COMPLETED"
        if answer:
            changes["output_text"] = stored_text(answer)
        if billable is not None:
            changes["billable_units"] = billable
            changes["cost"] = await acost_of(row.endpoint_id, billable)
    elif target.action == "cancel" and status < 400:
        changes["state"] = "CANCELLED"
    await tally().add(row.pk, follow_ups=1, bytes_out=len(answer), queue_ms=queue_ms, **changes)


def stored_text(body: bytes) -> str:
    if not body:
        return ""
    text = body[: STORED_TEXT_LIMIT + 1].decode("utf-8", errors="replace")
    return text if len(text) <= STORED_TEXT_LIMIT else text[:STORED_TEXT_LIMIT] + "…"


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None


def queue_state_of(body: bytes) -> str:
    data = _json(body) if body else None
    value = data.get("status") if isinstance(data, dict) else None
    return value if value in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED") else ""


def request_id_of(body: bytes) -> str:
    """fal's request id in a queue submit answer, '' when there is none."""
    data = _json(body)
    value = data.get("request_id") if isinstance(data, dict) else None
    return str(value)[:100] if value else ""


def billable_units(header: str) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None


def record_playground_run(generation: Any) -> None:
    """A finished playground run, as one row of the same log (DESIGN.md: one log for all
    traffic). Never stops the run from finishing: a failed write is only logged."""
    try:
        create_row(**_playground_fields(generation))
    except DatabaseError:
        log.exception("could not log generation %s", generation.pk)


def _playground_fields(generation: Any) -> dict[str, Any]:
    from playground.jobs.models import Mode, Status

    error = generation.error or {}
    sent = generation.submitted or generation.created
    finished = generation.finished or timezone.now()
    waited = generation.started - sent if generation.started and generation.submitted else None
    body = json.dumps(generation.input).encode()
    output = json.dumps(generation.output).encode() if generation.output is not None else b""
    return {
        "user_id": generation.owner_id,
        "team_id": generation.team_id,
        "entrance": "playground",
        "kind": "submit" if generation.mode == Mode.QUEUE else "run",
        "endpoint_id": generation.endpoint_id,
        "request_id": generation.fal_request_id,
        "method": "POST",
        "status": error.get("status_code")
        or (200 if generation.status == Status.COMPLETED else None),
        "state": generation.status.upper(),
        "latency_ms": max(int((finished - sent).total_seconds() * 1000), 0),
        "queue_ms": int(waited.total_seconds() * 1000) if waited else None,
        "bytes_in": len(body),
        "bytes_out": len(output),
        "billable_units": generation.billable_units,
        "cost": generation.cost,
        "error": str(error.get("message", ""))[:2000],
        "input_text": stored_text(body),
        "output_text": stored_text(output),
        "created": generation.created,
    }
