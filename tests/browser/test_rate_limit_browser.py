"""Over the rate limit, the model page says so beside Run, with the seconds to wait."""

from __future__ import annotations

import re

import pytest

from playground.jobs.models import Generation
from tests.conftest import _live_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture(scope="module")
def limited_app(django_db_setup, django_db_blocker, tmp_path_factory):
    """A live server where a signed-in person may run once a minute (no runner: the run
    stays pending, which is all this needs)."""
    data_dir = tmp_path_factory.mktemp("limited")
    env = {"RATE_LIMITS_ENABLED": "1", "RATE_LIMIT_SIGNED_IN": "1", "RUNNER_EMBEDDED": "0"}
    with _live_server(django_db_blocker, data_dir, name="limited", **env) as server:
        yield server


def test_the_second_run_of_the_minute_shows_the_wait_beside_run(page, limited_app, live_user):
    user = live_user("hasty", "pw-hasty-12345")
    page.goto(f"{limited_app.url}/accounts/login/")
    page.fill("#id_username", "hasty")
    page.fill("#id_password", "pw-hasty-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{limited_app.url}/")
    page.goto(f"{limited_app.url}/models/{SCHNELL}/")
    page.fill("textarea[name=prompt]", "a lighthouse")
    wait = page.locator("[data-run-wait]")

    page.click("[data-run]")
    page.locator("#run-panel .gen-status").wait_for()
    assert wait.is_hidden()
    page.click("[data-run]")

    wait.wait_for(state="visible")
    text = wait.inner_text()
    match = re.fullmatch(r"Rate limit reached: 1 request a minute\. Try again in (\d+) s\.", text)
    assert match, text
    seconds = int(match.group(1))
    assert 1 <= seconds <= 60
    # It counts down, beside the Run button.
    page.wait_for_function(
        "n => { const m = document.querySelector('[data-run-wait]').textContent.match(/(\\d+) s/);"
        " return m && Number(m[1]) < n; }",
        arg=seconds,
        timeout=5_000,
    )
    controls = page.locator(".run-controls")
    assert controls.locator("[data-run-wait]").count() == 1
    assert Generation.objects.filter(owner=user).count() == 1
    page.screenshot(path=str(limited_app.log_path.parent / "rate-limit.png"))
