"""A person makes an access token, an app calls fal through the gateway with it, and the
person finds the call in the request log, then revokes the token: in a real browser."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
INPUT = {"prompt": "a lighthouse via the gateway", "image_size": {"width": 64, "height": 64}}


def sign_in(page, url: str, live_user) -> None:
    live_user("gw-alice", "pw-alice-123")
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("gw-alice")
    page.get_by_label("Password").fill("pw-alice-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_make_a_token_call_through_the_gateway_see_the_log_and_revoke(live_app, page, live_user):
    url = live_app.url
    sign_in(page, url, live_user)
    page.get_by_label("Account menu for gw-alice").click()
    page.get_by_role("link", name="Access tokens").click()
    expect(page.get_by_role("heading", name="Access tokens", level=1)).to_be_visible()
    expect(page.get_by_text("No tokens yet.")).to_be_visible()

    page.get_by_label("Label").fill("staging app")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("pgt_")
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()

    answer = httpx.post(
        f"{url}/api/fal/proxy", json=INPUT, timeout=30,
        headers={"Authorization": f"Key {secret}",
                 "x-fal-target-url": "https://fal.run/fal-ai/flux/schnell"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text

    page.reload()
    assert secret not in page.content()  # shown once
    page.get_by_label("Account menu for gw-alice").click()
    page.get_by_role("link", name="Request log", exact=True).click()
    row = page.get_by_role("row").filter(has_text="fal-ai/flux/schnell")
    expect(row).to_contain_text("staging app")
    expect(row).to_contain_text("200")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "gateway-log.png", full_page=True)
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="fal-ai/flux/schnell")).to_be_visible()
    expect(page.locator("#input")).to_contain_text('"prompt": "a lighthouse via the gateway"')
    expect(page.locator("#output")).to_contain_text('"images"')

    page.goto(f"{url}/accounts/tokens/")
    page.get_by_role("button", name="Revoke staging app").click()
    expect(page.get_by_text("Token revoked")).to_be_visible()
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    refused = httpx.post(
        f"{url}/api/fal/proxy", json=INPUT, timeout=30,
        headers={"Authorization": f"Key {secret}",
                 "x-fal-target-url": "https://fal.run/fal-ai/flux/schnell"},
    )  # fmt: skip
    assert refused.status_code == 401


def test_gateway_pages_fit_a_phone(live_app, browser, live_user):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_app.url, live_user)
        for path in ("/accounts/tokens/", "/gateway/requests/"):
            page.goto(f"{live_app.url}{path}")
            assert overflow(page) <= 0, path
        page.goto(f"{live_app.url}/accounts/tokens/")
        page.get_by_role("button", name="Create token").click()
        expect(page.locator("#new-token")).to_be_visible()
        assert overflow(page) <= 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "gateway-tokens-phone.png", full_page=True)
    finally:
        context.close()
