"""A person signs up, lands on the home page, logs out and logs back in, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-42"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_sign_up_log_out_and_log_back_in(live_app, page):
    topbar = page.get_by_role("navigation", name="Account")
    badge = page.get_by_role("banner").get_by_text("Local emulator", exact=True)
    page.goto(live_app.url)
    expect(badge).to_be_visible()
    topbar.get_by_role("link", name="Sign up").click()

    expect(page.get_by_label("Username")).to_be_focused()
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Email").fill("dora@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.get_by_text("Welcome to Playground, dora!")).to_be_visible()
    expect(page.get_by_role("heading", name="Your generations will appear here")).to_be_visible()
    expect(badge).to_be_visible()
    assert User.objects.filter(username="dora", email="dora@example.com").exists()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "home-signed-in.png")

    page.get_by_label("Account menu for dora").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    expect(topbar.get_by_role("link", name="Log in")).to_be_visible()

    topbar.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.get_by_role("heading", name="Welcome, dora")).to_be_visible()


def test_mismatched_passwords_are_explained_next_to_the_field(live_app, page):
    page.goto(f"{live_app.url}/accounts/signup/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Create account").click()

    confirm = page.get_by_label("Confirm password")
    expect(confirm).to_be_focused()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password2_error")).to_contain_text("match")
    assert not User.objects.filter(username="erin").exists()


def test_theme_toggle_switches_and_remembers_dark_mode(live_app, page):
    page.goto(live_app.url)
    html = page.locator("html")
    toggle = page.locator("[data-theme-toggle]")
    expect(toggle).to_have_attribute("aria-label", "Switch to dark theme")

    toggle.click()

    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-label", "Switch to light theme")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert re.fullmatch(r"rgb\(13, 13, 18\)", background)
