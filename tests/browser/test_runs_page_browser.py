"""The Runs page as a person uses it: a run started elsewhere appears and ends live."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCHNELL = "fal-ai/flux/schnell"
SDXL = "fal-ai/fast-sdxl"


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    user = live_user("runs-alice", "pw-alice-123")
    base = live_app_with_runner.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "runs-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page, base, user


def test_runs_appear_and_finish_live_and_filters_narrow_the_list(signed_in, browser):
    page, base, _ = signed_in
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.get_by_role("link", name="Runs", exact=True).click()
    page.wait_for_url(f"{base}/runs/")
    expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()

    # Another tab starts runs: this page shows each at once, then its ending.
    other = page.context.new_page()
    for model, prompt in ((SCHNELL, "a heron at dawn"), (SDXL, "an owl")):
        other.goto(f"{base}/models/{model}/")
        other.fill("textarea[name=prompt]", prompt)
        other.locator("[data-run]").click()
        row = page.locator(".run-row", has_text=prompt)
        expect(row).to_be_visible(timeout=15_000)
        expect(row.locator(".gen-badge")).to_have_text("Completed", timeout=30_000)
    expect(page.get_by_role("heading", name="No runs yet")).to_have_count(0)
    other.close()
    expect(page.locator(".run-row").first).to_contain_text("an owl", timeout=15_000)

    page.get_by_label("Status").select_option("active")
    expect(page.get_by_role("heading", name="No runs match")).to_be_visible()
    expect(page).to_have_url(f"{base}/runs/?status=active")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Model").select_option(SCHNELL)
    expect(page.locator(".run-row")).to_have_count(1)
    expect(page.locator(".run-row")).to_contain_text("a heron at dawn")

    assert errors == []  # a clean console through live updates and filters
    page.set_viewport_size({"width": 390, "height": 800})
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.runs-page *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 390
    page.screenshot(path="test-artifacts/runs-phone.png", full_page=True)


def test_a_run_waiting_in_the_queue_can_be_cancelled_from_the_runs_page(signed_in):
    from tests.browser.test_run_browser import emulator_busy

    page, base, _ = signed_in
    with emulator_busy(base, seconds=30):
        other = page.context.new_page()
        other.goto(f"{base}/models/{SCHNELL}/")
        other.fill("textarea[name=prompt]", "changed my mind")
        other.locator("[data-run]").click()
        other.locator("#run-panel .gen-status__position", has_text="in queue").wait_for()
        page.goto(f"{base}/runs/?status=active")
        row = page.locator(".run-row", has_text="changed my mind")
        expect(row.locator(".gen-badge")).to_have_text("In queue")
        row.get_by_role("button", name="Cancel").click()
        expect(row.locator(".gen-badge")).to_have_text("Cancelled", timeout=30_000)
        expect(row).to_contain_text("took")  # the wait counts
        other.close()


def test_show_more_brings_the_older_runs(signed_in):
    from playground.jobs.models import Generation, Status

    page, base, user = signed_in
    Generation.objects.bulk_create(
        Generation(
            owner=user,
            endpoint_id=SCHNELL,
            input={"prompt": f"old run {i}"},
            status=Status.COMPLETED,
        )
        for i in range(33)
    )
    page.goto(f"{base}/runs/")
    expect(page.locator(".run-row")).to_have_count(30)
    page.get_by_role("link", name="Show more").click()
    expect(page.locator(".run-row")).to_have_count(33)
    expect(page.get_by_role("link", name="Show more")).to_have_count(0)
