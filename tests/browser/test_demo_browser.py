"""Demo mode, as a visitor without an account tries it: find a demo model, run it, watch
the result arrive live; another visitor cannot open it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import _live_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture(scope="module")
def demo_app(django_db_setup, django_db_blocker, tmp_path_factory):
    """A live server in demo mode, flux schnell its one demo model, with its runner."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = {
        "DEMO_MODE": "1",
        "DEMO_MODELS": SCHNELL,
        "RUNNER_EMBEDDED": "1",
        "LOCALFAL_SPEED": "0.01",
        "RUNNER_STATUS_POLL_SECONDS": "0.1",
    }
    with _live_server(django_db_blocker, data_dir, name="demo", **env) as server:
        yield server


def test_a_visitor_runs_a_demo_model_and_nobody_else_sees_the_result(page, browser, demo_app):
    page.goto(f"{demo_app.url}/")
    page.locator("[data-demo-models] a").first.click()
    page.wait_for_url(f"{demo_app.url}/models/{SCHNELL}/")
    expect(page.locator("[data-demo-notice]")).to_contain_text("results are kept for a day")

    page.fill("textarea[name=prompt]", "a lighthouse at dusk")
    page.locator("[data-run]").click()

    panel = page.locator("#run-panel")
    panel.locator(".gen-badge--completed").wait_for(timeout=30_000)
    image = panel.locator(".gen-asset img").first
    expect(image).to_be_visible()
    # Drawn once its file arrives (read from the bucket in the production pass).
    drawn = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(drawn, arg=image.element_handle())
    run_url = demo_app.url + panel.locator(".gen-status__open").get_attribute("href")

    other = browser.new_context().new_page()
    response = other.goto(run_url)
    assert response.status == 404
    other.context.close()


def test_a_visitor_opening_another_model_is_asked_to_log_in(page, demo_app):
    page.goto(f"{demo_app.url}/models/fal-ai/flux/dev/")
    page.wait_for_url("**/accounts/login/**")
    expect(page.locator(".messages")).to_contain_text(f"Without an account you can try {SCHNELL}")
