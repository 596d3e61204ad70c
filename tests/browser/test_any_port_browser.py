"""A server on any port runs models with its own emulator: no LOCALFAL_URL needed
(issue 11: the runner used to submit to 127.0.0.1:8000 whatever the port)."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from playground.jobs.models import Generation, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, live_user, name: str) -> None:
    live_user(name, f"pw-{name}-12345")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", f"pw-{name}-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_model_runs_on_a_server_started_on_another_port(page, production_app, live_user):
    assert not production_app.url.endswith(":8000")
    assert "LOCALFAL_URL" not in os.environ
    log_in(page, production_app.url, live_user, "porter")
    page.goto(f"{production_app.url}/models/fal-ai/flux/schnell/")
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


def test_an_uploaded_picture_is_shown_and_edited_when_the_browser_uses_another_name(
    page, production_app, live_user, tmp_path
):
    """The browser reaches the server as `localhost`, the server reaches its emulator at
    127.0.0.1: the upload's preview loads from the browser's origin, and the run finds it."""
    base = production_app.url.replace("127.0.0.1", "localhost")
    log_in(page, base, live_user, "editor")
    picture = tmp_path / "portrait.png"
    Image.new("RGB", (64, 48), (90, 60, 200)).save(picture)
    page.goto(f"{base}/models/fal-ai/image-editing/cartoonify/")
    page.locator("input[type=file]").set_input_files(picture)
    url = page.get_by_role("textbox", name="Image URL")
    page.wait_for_function("() => document.querySelector('[data-preview] img')?.naturalWidth")
    assert url.input_value().startswith(f"{base}/localfal/cdn/files/")
    page.keyboard.press("Control+Enter")
    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=30_000)
    generation = Generation.objects.get(owner__username="editor")
    assert generation.status == Status.COMPLETED
    assert generation.assets.count() == 1
