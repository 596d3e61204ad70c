"""A visitor on a production-like server (SIGNUP=invite): the header says sign-up is by
invitation; too many wrong passwords show our page with the wait, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_sign_up_by_invitation_then_a_lock_out_says_when_to_retry(live_app, page, live_user):
    live_user("alice", "pw-alice-12345")
    page.goto(live_app.url)
    topbar = page.get_by_role("navigation", name="Account")

    topbar.get_by_role("link", name="Sign-up by invitation").click()
    expect(page.get_by_role("heading", name="Sign-up is by invitation")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "signup-by-invitation.png")

    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the bar has no room
    expect(topbar.get_by_role("link", name="Sign-up by invitation")).to_be_hidden()
    page.get_by_role("link", name="Log in").last.click()
    expect(
        page.get_by_text("Sign-up is by invitation: open the link you were sent.")
    ).to_be_visible()
    for attempt in range(5):
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Log in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed log-ins")
    expect(alert).to_contain_text("Try again in 15 minutes")
    expect(page.get_by_label("Username")).to_have_value("alice")
    page.screenshot(path=ARTIFACTS / "login-locked-out.png")
