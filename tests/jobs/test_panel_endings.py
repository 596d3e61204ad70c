"""How a run's panel ends: the progress bar stops in a final state, and a cancelled run's
time counts its wait in the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from playground.jobs import actions
from playground.jobs.fragments import progress_html
from playground.jobs.models import EventKind, Generation, Status
from playground.jobs.panel import render_update
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db


def bar(status: str, progress: float | None) -> str:
    return progress_html(code="c", active=False, progress=progress, oob=False, status=status)


def test_a_completed_bar_is_full():
    html = bar("completed", 0.4)
    assert 'class="gen-progress gen-progress--completed"' in html
    assert 'value="1.0"' in html and "100%" in html and 'aria-label="Completed"' in html


def test_a_failed_or_cancelled_bar_stops_where_it_was():
    assert 'value="0.4"' in bar("failed", 0.4) and "gen-progress--failed" in bar("failed", 0.4)
    cancelled = bar("cancelled", 0.25)
    assert 'value="0.25"' in cancelled and 'aria-label="Stopped: cancelled"' in cancelled
    assert 'value="0.0"' in bar("cancelled", None)  # cancelled before any progress


def test_an_active_bar_is_unchanged():
    html = progress_html(code="c", active=True, progress=None, oob=False)
    assert '<progress aria-label="Working">' in html


def test_the_update_that_ends_a_run_redraws_the_bar_in_its_final_state(alice):
    generation = submit(alice)
    actions.update_generation(
        generation=generation,
        status=Status.RUNNING,
        started=timezone.now(),
        events=[(EventKind.LOG, {"lines": [{"message": "step 1/2"}], "progress": 0.5})],
    )
    last = generation.events.order_by("-seq").first().seq
    actions.finish_generation(generation=generation, status=Status.COMPLETED, output={})
    html, _ = render_update(generation.pk, last)
    assert f'id="gen-{generation.code}-progress" hx-swap-oob="true"' in html
    assert "gen-progress--completed" in html and "100%" in html


def test_a_run_cancelled_in_the_queue_shows_how_long_it_waited(client_alice, alice):
    generation = submit(alice)
    Generation.objects.filter(pk=generation.pk).update(
        created=timezone.now() - timedelta(seconds=42)
    )
    generation.refresh_from_db()
    actions.finish_generation(generation=generation, status=Status.CANCELLED)
    page = client_alice.get(generation.get_absolute_url()).text
    assert "Cancelled after 42." in page and "while waiting in the queue" in page
    assert "gen-progress--cancelled" in page
    assert "<dt>Waited</dt><dd>42." in page  # the Details card counts the wait too
    # The header's clock counts from the click on Run, not from the start of the work.
    assert f'data-started="{generation.created.isoformat()}"' in page
