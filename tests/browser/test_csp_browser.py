"""The Content-Security-Policy in a real browser: it refuses injected code, and the admin
works under it.

Every browser test also fails on any violation a page reports (tests/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


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
