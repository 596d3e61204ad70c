"""Pressing Run on a model page, as a person does: queue, logs, result, reload, cancel."""

from __future__ import annotations

import contextlib
import time
import uuid

import httpx
import pytest
from django.conf import settings

from playground.jobs.models import Generation, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FLUX_DEV = "fal-ai/flux/dev"


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    user = live_user("runner-alice", "pw-alice-123")
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "runner-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url, user


@contextlib.contextmanager
def emulator_busy(base: str, seconds: float):
    """The emulator's one runner busy for `seconds` with a request of the test's own (a slow
    fault: test servers allow them), so a run started meanwhile waits in its queue whatever
    the speed of the machine. Cancelled afterwards, freeing the emulator."""
    key = {"Authorization": f"Key {settings.LOCALFAL_KEY}"}
    fault = {"X-Localfal-Fault": f"app:slow={seconds},key={uuid.uuid4()}"}
    ahead = httpx.post(
        f"{base}/localfal/queue/{FLUX_DEV}", json={"prompt": "ahead"}, headers={**key, **fault}
    ).json()
    deadline = time.monotonic() + 20
    while httpx.get(ahead["status_url"], headers=key).json()["status"] == "IN_QUEUE":
        assert time.monotonic() < deadline, "the request ahead never started"
        time.sleep(0.05)
    try:
        yield
    finally:
        httpx.put(ahead["cancel_url"], headers=key)


def test_run_flux_dev_and_watch_queue_logs_and_the_image(signed_in):
    page, base, user = signed_in
    # Busy long enough for a slow first page load on a loaded machine; freed (cancelled) as
    # soon as the run is seen waiting, so the test does not wait it out.
    with emulator_busy(base, seconds=60):
        page.goto(f"{base}/models/{FLUX_DEV}/")
        page.fill("textarea[name=prompt]", "a lighthouse at dusk")
        page.keyboard.press("Control+Enter")
        panel = page.locator("#run-panel")
        panel.locator(".gen-status__position", has_text="in queue").wait_for(timeout=45_000)
    panel.locator(".gen-log", has_text="step").first.wait_for(timeout=20_000)
    panel.locator(".gen-badge", has_text="Completed").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const img = document.querySelector('#run-panel .gen-asset img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    page.screenshot(path="test-artifacts/run-completed.png", full_page=True)
    ours = Generation.objects.filter(owner=user, input__prompt="a lighthouse at dusk").get()
    assert ours.status == Status.COMPLETED
    recent = page.locator(".gen-recent__item", has_text="a lighthouse at dusk")
    recent.wait_for(timeout=10_000)


def test_a_reload_mid_run_replays_and_goes_on_live(signed_in):
    page, base, _ = signed_in
    page.goto(f"{base}/models/{FLUX_DEV}/")
    page.fill("textarea[name=prompt]", "reload me")
    page.locator("[data-run]").click()
    page.locator("#run-panel .gen-log", has_text="step").first.wait_for(timeout=20_000)
    page.reload()
    panel = page.locator("#run-panel")
    assert panel.locator(".gen-log").count() >= 1  # replayed from the stored events
    panel.locator(".gen-badge", has_text="Completed").wait_for(timeout=30_000)
    lines = panel.locator(".gen-log").all_inner_texts()
    assert len(lines) == len(set(lines)), lines  # nothing shown twice after the reload


def test_cancel_a_run(signed_in):
    page, base, user = signed_in
    with emulator_busy(base, seconds=60):
        page.goto(f"{base}/models/{FLUX_DEV}/")
        page.fill("textarea[name=prompt]", "never mind")
        page.locator("[data-run]").click()
        panel = page.locator("#run-panel")
        panel.locator(".gen-status__position", has_text="in queue").wait_for(timeout=45_000)
        panel.get_by_role("button", name="Cancel").click()
        try:
            panel.locator(".gen-badge", has_text="Cancelled").wait_for(timeout=30_000)
        finally:
            page.screenshot(path="test-artifacts/cancel.png", full_page=True)
    assert Generation.objects.get(owner=user, input__prompt="never mind").status == Status.CANCELLED
