"""The Request panel's code follows the run mode a person picks and warns about a file URL
that fal.ai could not fetch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(page, live_app, live_user):
    live_user("snippet-alice", "pw-alice-123")
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "snippet-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    return page, live_app.url


def code(page, tab: str):
    page.get_by_role("tab", name=tab).click()
    return page.get_by_role("tabpanel", name=tab).locator("code")


def test_the_code_follows_the_run_mode(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/fal-ai/flux/dev/")
    page.get_by_role("textbox", name="Prompt", exact=True).fill("a fox")
    expect(code(page, "cURL")).to_contain_text("https://queue.fal.run/fal-ai/flux/dev")
    page.get_by_role("radio", name="Sync").check()
    expect(code(page, "cURL")).to_contain_text("--url https://fal.run/fal-ai/flux/dev \\")
    expect(code(page, "Python")).to_contain_text("fal_client.run(")
    page.get_by_role("radio", name="Stream").check()
    expect(code(page, "JavaScript")).to_contain_text("for await (const event of stream)")
    expect(code(page, "cURL")).to_contain_text("/fal-ai/flux/dev/stream")


def test_a_local_file_url_gets_a_warning_in_the_code(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/fal-ai/image-editing/cartoonify/")
    page.get_by_role("textbox", name="Image URL").fill(f"{base}/media/uploads/me.png")
    python = code(page, "Python")
    expect(python).to_contain_text(re.compile(r"^# Warning: image_url points at this server"))
    expect(python).to_contain_text("fal_client.upload_file")
    page.get_by_role("textbox", name="Image URL").fill("https://v3.fal.media/files/me.png")
    expect(python).not_to_contain_text("Warning")
