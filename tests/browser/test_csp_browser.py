"""The Content-Security-Policy in a real browser: it refuses injected code, the admin works
under it, and a form filled from a teammate's run never loads their arbitrary file URL.

Every browser test also fails on any violation a page reports (tests/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from tests.jobs.conftest import submit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
I2I = "fal-ai/lcm-sd15-i2i"
TRACKER = "http://tracker.invalid/pixel.png"


def log_in(page, base: str, username: str, password: str, path: str = "/accounts/login/"):
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[type=submit]")


def test_an_injected_inline_handler_is_refused(page, live_app, csp_violations):
    page.goto(f"{live_app.url}/accounts/login/")
    page.evaluate(
        """() => new Promise((done) => {
             document.addEventListener("securitypolicyviolation", () => done(), { once: true });
             setTimeout(done, 5000);  // without a policy the handler runs, and no event comes
             document.body.insertAdjacentHTML("beforeend",
               '<img src="/static/img/logo.svg" onload="window.pwned = 1">');
           })"""
    )

    assert page.evaluate("window.pwned") is None
    assert any("script-src-attr" in text for text in csp_violations)
    csp_violations.clear()  # provoked on purpose


def test_the_admin_works_under_the_policy(page, live_app, live_user):
    root = live_user("root", "pw-root-12345")
    root.is_staff = root.is_superuser = True
    root.save()
    log_in(page, live_app.url, "root", "pw-root-12345", "/admin/login/")
    page.wait_for_url(f"{live_app.url}/admin/")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="root").click()
    # Its JS builds the two-list group and permission pickers.
    expect(page.locator("#id_groups_from")).to_be_visible()
    expect(page.locator("#id_user_permissions_add_all")).to_be_visible()


def test_a_teammates_foreign_file_url_is_shown_as_text_and_never_fetched(page, live_app, live_user):
    alice = live_user("csp-alice", "pw-alice-12345")
    bob = live_user("csp-bob", "pw-bob-12345")
    team = Team.objects.create(name="Studio", slug="csp-studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    Membership.objects.create(user=bob, team=team, role=Role.MEMBER)
    generation = submit(alice, I2I, data={"prompt": "a fox", "image_url": TRACKER})
    generation.team, generation.visibility = team, "team"
    generation.save()
    fetched: list[str] = []
    page.context.on("request", lambda request: fetched.append(request.url))

    log_in(page, live_app.url, "csp-bob", "pw-bob-12345")
    page.wait_for_url(f"{live_app.url}/")
    page.goto(f"{live_app.url}/models/{I2I}/?from={generation.code}")

    field = page.locator("[data-file-field]").filter(has=page.locator("[name=image_url]"))
    expect(field.locator("[name=image_url]")).to_have_value(TRACKER)
    expect(field.locator("[data-preview-empty]")).to_have_attribute(
        "title", "No preview: only files stored here or on fal are shown"
    )
    expect(field.locator("[data-preview-media]")).to_have_count(0)

    # Typing another foreign URL does not load it either; a file of this server does.
    field.locator("[name=image_url]").fill("http://10.0.0.1/inside.png")
    expect(field.locator("[data-preview-media]")).to_have_count(0)
    own = f"{live_app.url}/static/img/logo.svg".replace("/static/", "/media/")
    field.locator("[name=image_url]").fill(own)
    expect(field.locator("img[data-preview-media]")).to_have_attribute("src", own)
    assert not [url for url in fetched if "tracker.invalid" in url or "10.0.0.1" in url]
