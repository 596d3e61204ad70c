"""Playground runs land in the same log as gateway calls, one row each when they finish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.gateway.models import RequestLog
from playground.jobs.actions import finish_generation
from playground.jobs.models import Generation, Status

pytestmark = pytest.mark.django_db


def test_a_finished_run_is_logged_with_its_timings(alice):
    generation = Generation.objects.create(
        owner=alice, endpoint_id="fal-ai/flux/dev", input={"prompt": "a fox"},
        fal_request_id="req-42", status=Status.RUNNING,
    )  # fmt: skip
    now = timezone.now()
    Generation.objects.filter(pk=generation.pk).update(
        submitted=now - timedelta(seconds=3), started=now - timedelta(seconds=1)
    )
    generation.refresh_from_db()

    finish_generation(generation=generation, status=Status.COMPLETED, output={"images": []})

    row = RequestLog.objects.get()
    assert (row.entrance, row.request_id, row.user, row.state) == (
        "playground", "req-42", alice, "COMPLETED",
    )  # fmt: skip
    assert row.status == 200
    assert 1900 <= row.queue_ms <= 2100
    assert row.latency_ms >= 2900
    assert "a fox" in row.input_text and "images" in row.output_text


def test_a_failed_run_keeps_fal_s_status_and_message(alice):
    generation = Generation.objects.create(
        owner=alice, endpoint_id="fal-ai/flux/dev", input={}, status=Status.RUNNING
    )

    finish_generation(
        generation=generation, status=Status.FAILED,
        error={"message": "prompt is required", "status_code": 422},
    )  # fmt: skip

    row = RequestLog.objects.get()
    assert (row.status, row.state, row.error) == (422, "FAILED", "prompt is required")
    assert not row.ok
