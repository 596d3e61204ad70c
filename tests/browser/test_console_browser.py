"""Opening model pages (and the dashboard) leaves the browser console clean: no errors,
and no request of the page (its validation call, scripts, styles, pictures, sockets)
answered with a 4xx or 5xx."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from playwright.sync_api import expect

PASSWORD = "console-clean-pw-42"
# An image model, an editing model with a required image, an LLM, speech, video, training.
MODEL_PAGES = [
    "fal-ai/flux/dev",
    "fal-ai/flux-kontext/dev",
    "openrouter/router",
    "fal-ai/minimax/speech-02-hd",
    "fal-ai/kling-video/v2.1/master/image-to-video",
    "fal-ai/flux-lora-fast-training",
]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def signed_in(live_app, page):
    hasher = PBKDF2PasswordHasher()
    User.objects.create(username="quiet", password=hasher.encode(PASSWORD, hasher.salt()))
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill("quiet")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_app.url}/")
    return page


def test_model_pages_load_without_console_errors_or_failed_requests(live_app, signed_in):
    page = signed_in
    console_errors: list[str] = []
    failed: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    def note_failure(response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", note_failure)

    for endpoint_id in MODEL_PAGES:
        with page.expect_response(lambda r: "/payload" in r.url) as validated:
            page.goto(f"{live_app.url}/models/{endpoint_id}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The form is checked once on load (incomplete: the prompt is empty) and says so.
        assert validated.value.status == 200
        expect(page.locator("[data-payload-status]")).not_to_contain_text("Something went wrong")
        page.wait_for_load_state("networkidle")

    page.goto(f"{live_app.url}/")  # the dashboard, with its live list of runs
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert failed == []
    assert console_errors == []
