"""A server on any port runs models with its own emulator: no LOCALFAL_URL needed
(issue 11: the runner used to submit to 127.0.0.1:8000 whatever the port)."""

from __future__ import annotations

import os

import pytest

from playground.jobs.models import Generation, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_model_runs_on_a_server_started_on_another_port(page, hostile_app, live_user):
    assert not hostile_app.url.endswith(":8000")
    assert "LOCALFAL_URL" not in os.environ
    live_user("porter", "pw-porter-12345")
    page.goto(f"{hostile_app.url}/accounts/login/")
    page.fill("#id_username", "porter")
    page.fill("#id_password", "pw-porter-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{hostile_app.url}/")
    page.goto(f"{hostile_app.url}/models/fal-ai/flux/schnell/")
    page.fill("textarea[name=prompt]", "a harbour on port five thousand")
    page.keyboard.press("Control+Enter")
    panel = page.locator("#run-panel")
    panel.locator(".gen-badge", has_text="Completed").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const img = document.querySelector('#run-panel .gen-asset img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    generation = Generation.objects.get(input__prompt="a harbour on port five thousand")
    assert generation.status == Status.COMPLETED
    assert generation.assets.count() == 1
