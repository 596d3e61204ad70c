"""Lists of runs follow along without a reload: the dashboard's tiles and a model page's
"Recent runs" leave "In queue"/"Running" when a run ends or is cancelled, and a finished
text run gets a tile with its answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_run_browser import emulator_busy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FLUX_DEV = "fal-ai/flux/dev"


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    live_user("lists-lee", "pw-lists-123")
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "lists-lee")
    page.fill("#id_password", "pw-lists-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url


def test_a_finished_run_updates_the_dashboard_and_recent_runs(signed_in):
    page, base = signed_in
    dashboard = page.context.new_page()
    dashboard.goto(f"{base}/")
    page.goto(f"{base}/models/openrouter/router/")
    page.fill("[name=prompt]", "tile me please")
    page.fill("[name=model]", "google/gemini-2.5-flash")
    page.locator("[data-run]").click()

    tile = dashboard.locator(".dash-latest__item", has_text="tile me please")
    expect(tile).to_be_visible()  # the new run appeared without a reload
    # The machine may be busy: a run takes seconds, so wait longer than for a page.
    expect(tile.locator('[data-tile="text"]')).to_contain_text(
        "No language model ran", timeout=60_000
    )
    recent = page.locator(".gen-recent__item", has_text="tile me please")
    expect(recent).to_contain_text("Completed")
    dashboard.screenshot(path="test-artifacts/dashboard-text-tile.png", full_page=True)


def test_a_cancelled_run_leaves_in_queue_everywhere(signed_in):
    page, base = signed_in
    dashboard = page.context.new_page()
    dashboard.goto(f"{base}/")
    with emulator_busy(base, seconds=30):
        page.goto(f"{base}/models/{FLUX_DEV}/")
        page.fill("textarea[name=prompt]", "cancel me later")
        page.locator("[data-run]").click()
        panel = page.locator("#run-panel")
        panel.locator(".gen-status__position", has_text="in queue").wait_for(timeout=15_000)
        tile = dashboard.locator(".dash-latest__item", has_text="cancel me later")
        expect(tile.locator('[data-tile="status"]')).to_have_text("In queue")
        recent = page.locator(".gen-recent__item", has_text="cancel me later")
        expect(recent).to_contain_text("In queue")

        panel.get_by_role("button", name="Cancel").click()

        expect(tile.locator('[data-tile="status"]')).to_have_text("Cancelled", timeout=30_000)
        expect(recent).to_contain_text("Cancelled")
