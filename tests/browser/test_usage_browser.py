"""A person's apps call fal through the gateway; the person opens Usage, reads the charts
(and their tables), switches to their team, filters, and downloads the CSV: in Chromium,
on a desktop, on a 390 px phone and in dark mode."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from playground.gateway import tokens
from playground.gateway.requestlog import create_row

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
INPUT = {"prompt": "a lighthouse", "image_size": {"width": 64, "height": 64}}


def call_the_gateway(url: str, secret: str) -> None:
    """Two runs and a refused input through the proxy, as an app would send them."""
    headers = {"Authorization": f"Key {secret}",
               "x-fal-target-url": "https://fal.run/fal-ai/flux/schnell"}  # fmt: skip
    for body, status in ((INPUT, 200), (INPUT, 200), ({"image_size": "nonsense"}, 422)):
        answer = httpx.post(f"{url}/api/fal/proxy", json=body, headers=headers, timeout=30)
        assert answer.status_code == status, answer.text


def earlier_days(user, team, mate) -> None:
    """What the log held from the days before: some runs here, some of a teammate's."""
    now = datetime.now(UTC)
    for n, (who, entrance, model) in enumerate([
        (user, "playground", "fal-ai/flux/dev"), (user, "playground", "fal-ai/flux/dev"),
        (user, "gateway", "fal-ai/flux/schnell"), (mate, "gateway", "fal-ai/flux/dev"),
        (mate, "realtime", "fal-ai/fast-lcm-diffusion"), (user, "proxy", "fal-ai/flux/dev"),
    ]):  # fmt: skip
        create_row(
            user_id=who.pk, team_id=team.pk, entrance=entrance, kind="submit", method="POST",
            endpoint_id=model, status=500 if n == 4 else 200, error="lost" if n == 4 else "",
            latency_ms=600 + 900 * n, queue_ms=200 * n, cost=Decimal("0.025") * (n + 1),
            created=now - timedelta(days=n + 1, hours=2),
        )  # fmt: skip


def sign_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("usage-ada")
    page.get_by_label("Password").fill("pw-ada-12345")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_see_the_charts_switch_to_the_team_filter_and_download_the_csv(
    live_app, browser, page, live_user, django_user_model
):
    url = live_app.url
    ada = live_user("usage-ada", "pw-ada-12345")
    mate = django_user_model.objects.create_user("usage-ben")
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=ada, team=team, role=Role.OWNER)
    Membership.objects.create(user=mate, team=team, role=Role.MEMBER)
    call_the_gateway(url, tokens.mint(ada, label="my app").secret)
    earlier_days(ada, team, mate)
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Usage").click()
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
    totals = page.locator(".usage-totals")
    expect(totals).to_contain_text("Requests7")  # 3 today, 4 before (ben's are the team's)
    for title in ("Requests per day", "Cost per day", "Latency and time in queue",
                  "Error rate per day", "By model", "By entrance"):  # fmt: skip
        expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    expect(page.locator('svg[data-chart="requests"] rect')).to_have_count(6)  # per day and kind
    requests = page.locator("section", has=page.get_by_role("heading", name="Requests per day"))
    requests.get_by_text("Show table").click()
    today = datetime.now(UTC).strftime("%a %-d %b")
    expect(requests.get_by_role("row", name=today)).to_contain_text("3")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / "usage-desktop.png", full_page=True)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(downloading.value.path()).read_text())))
    assert sum(int(row["requests"]) for row in rows) == 7
    assert {row["token"] for row in rows} == {"browser session", f"my app …{tokens_last4(ada)}"}

    page.get_by_role("navigation", name="Whose usage").get_by_role("link", name="Studio").click()
    expect(page.get_by_role("heading", name="By member", level=2)).to_be_visible()
    expect(page.locator('ol[data-chart="members"]')).to_contain_text("usage-ben")
    page.get_by_role("combobox", name="Model").select_option("fal-ai/flux/dev")
    page.get_by_role("button", name="Apply").click()
    expect(totals).to_contain_text("Requests4")
    expect(page.get_by_text("filtered")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "usage-team.png", full_page=True)

    _look_on_a_phone_and_in_the_dark(browser, page.context.cookies(), url)


def tokens_last4(user) -> str:
    return user.access_tokens.get().last4


def _look_on_a_phone_and_in_the_dark(browser, cookies, url: str) -> None:
    for name, options in {
        "usage-phone.png": {"viewport": {"width": 390, "height": 844}},
        # Just wide enough for the top bar's links (Usage among them) to show unfolded.
        "usage-tablet.png": {"viewport": {"width": 780, "height": 900}},
        "usage-dark.png": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark"},
        "usage-phone-dark.png": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    }.items():  # fmt: skip
        context = browser.new_context(**options)
        context.add_cookies(cookies)
        page = context.new_page()
        try:
            page.goto(f"{url}/usage/")
            expect(page.locator('svg[data-chart="cost"]')).to_be_visible()
            page.locator("details.usage-table summary").first.click()
            assert overflow(page) <= 0, f"{name}: the page scrolls sideways"
            page.evaluate("window.scrollTo(0, 0)")  # the sticky bar back on top
            page.screenshot(path=ARTIFACTS / name, full_page=True)
        finally:
            context.close()
