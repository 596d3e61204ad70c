"""fal's webhook (POST /webhooks/fal): a signed nudge that a request has ended.

The runner stays the only code that finishes generations: a trusted delivery for an
active generation records one "webhook" status event and wakes the runners, which then
read the result through the same path as always. Deliveries are idempotent on the
request id, because fal retries them (fal-protocol.md §9.1).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from playground.fal.config import fal_urls
from playground.fal.webhooks import (
    REQUEST_ID,
    KeysUnavailable,
    WebhookError,
    verify_with_jwks,
)
from playground.jobs import actions
from playground.jobs.models import EventKind, Generation

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 10 * 1024 * 1024
WEBHOOK_STATUS = "webhook"


@dataclass(frozen=True)
class Delivery:
    request_id: str
    outcome: str  # fal's "OK" or "ERROR"

    @classmethod
    def parse(cls, body: bytes, header_request_id: str) -> Delivery:
        """The fields we use from a verified body; raises WebhookError if it is not fal's."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookError("body is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("request_id"), str):
            raise WebhookError("body has no request_id")
        # The signed header names the queue id or, after a retry upstream, the attempt's id.
        if header_request_id not in (data["request_id"], data.get("gateway_request_id")):
            raise WebhookError("body request_id does not match the signed header")
        if data.get("status") not in ("OK", "ERROR"):
            raise WebhookError("status is neither OK nor ERROR")
        return cls(request_id=data["request_id"], outcome=data["status"])


@csrf_exempt  # fal cannot send our CSRF token; the Ed25519 signature authenticates it
@require_POST
async def fal_webhook(request: HttpRequest) -> JsonResponse:
    """200 when handled or deliberately ignored (so fal stops retrying); 400 for anything
    untrusted or malformed; 413 above 10 MB; 503 while fal's keys cannot be fetched."""
    body = read_body(request)
    if body is None:
        return _error("body is larger than 10 MB", 413)
    try:
        await verify_with_jwks(request.headers, body, fal_urls())
        delivery = Delivery.parse(body, request.headers[REQUEST_ID])
    except KeysUnavailable as error:
        log.warning("fal webhook not verified: %s", error.reason)
        return _error("webhook keys are unavailable; try again later", 503)
    except WebhookError as error:
        log.warning("fal webhook rejected: %s", error.reason)
        return _error(error.reason, 400)
    ignored = await sync_to_async(note_delivery)(delivery)
    return JsonResponse({"ok": True, **({"ignored": ignored} if ignored else {})})


def read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None above the cap. Read from the stream, not `request.body`,
    whose smaller DATA_UPLOAD_MAX_MEMORY_SIZE limit would refuse big outputs."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def note_delivery(delivery: Delivery) -> str | None:
    """Record the delivery on its generation once and wake the runners; returns why it
    was ignored, if it was."""
    with transaction.atomic():
        # Locked, so two concurrent copies of one delivery cannot both record it.
        generation = (
            Generation.objects.select_for_update()
            .filter(fal_request_id=delivery.request_id)
            .first()
        )
        if generation is None:
            return "unknown request"
        if not generation.is_active:
            return "already finished"
        if _already_noted(generation):
            return "duplicate delivery"
        _record(generation, delivery)
        code = str(generation.code)
        transaction.on_commit(lambda: actions.wake_runners({"generation": code}))
    return None


def _already_noted(generation: Generation) -> bool:
    return generation.events.filter(kind=EventKind.STATUS, payload__status=WEBHOOK_STATUS).exists()


def _record(generation: Generation, delivery: Delivery) -> None:
    # A generation backing off after an upstream error would otherwise wait out its delay:
    # fal says the result is ready, so let a runner claim it now.
    fields = {"next_attempt_at": None} if generation.next_attempt_at else {}
    actions.update_generation(
        generation=generation,
        events=[(EventKind.STATUS, {"status": WEBHOOK_STATUS, "outcome": delivery.outcome})],
        notify_after=False,  # nothing a watcher sees has changed yet
        **fields,
    )


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
