"""Over a monthly budget, the model page says so beside Run (and who can raise it); a team
owner sets the team's budget on "Limits and budgets" and sees the month's spend as a bar."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from playground.gateway.requestlog import create_row
from playground.jobs.models import Generation
from playground.limits.models import PersonBudget
from tests.browser.test_teams_browser import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
SCHNELL = "fal-ai/flux/schnell"


def spend(user, dollars: str, team=None) -> None:
    create_row(
        user_id=user.pk, team_id=team.pk if team else None, entrance="proxy", kind="run",
        endpoint_id=SCHNELL, method="POST", status=200, cost=Decimal(dollars),
    )  # fmt: skip


def test_a_run_over_budget_says_who_can_raise_it_beside_run_until_it_is_raised(
    live_app, page, live_user
):
    alice = live_user("alice", "pw-alice-12345")
    PersonBudget.objects.create(user=alice, monthly_budget=Decimal("2"))
    spend(alice, "2.5")
    page.goto(f"{live_app.url}/accounts/login/")
    log_in(page, "alice", "pw-alice-12345")
    page.goto(f"{live_app.url}/models/{SCHNELL}/")
    page.fill("textarea[name=prompt]", "a lighthouse")

    page.click("[data-run]")

    said = page.locator(".run-controls [data-run-wait]")
    expect(said).to_have_text(
        "Your monthly budget of $2.00 is reached ($2.50 spent this month); ask staff to raise it."
    )
    expect(page.locator("[data-run-label]")).to_have_text("Run")  # ready again, not stuck
    assert not Generation.objects.exists()

    PersonBudget.objects.filter(user=alice).update(monthly_budget=Decimal("5"))  # raised
    page.click("[data-run]")

    page.locator("#run-panel .gen-status").wait_for()
    expect(said).to_be_hidden()
    assert Generation.objects.filter(owner=alice).count() == 1


def test_an_owner_sets_the_team_budget_and_sees_the_spend_bar(live_app, page, live_user):
    alice = live_user("alice", "pw-alice-12345")
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    spend(alice, "9", team=team)
    page.goto(f"{live_app.url}/accounts/login/")
    log_in(page, "alice", "pw-alice-12345")
    page.goto(f"{live_app.url}/teams/studio/")

    page.get_by_role("link", name="Limits and budgets").click()
    section = page.locator("#team-budget")
    section.get_by_label("Monthly budget (US $)").fill("-3")
    section.get_by_role("button", name="Save the team's budget").click()
    errors = page.locator("#team-budget .field__errors")
    expect(errors).to_contain_text("greater than or equal to 0")
    page.locator("#team-budget").get_by_label("Monthly budget (US $)").fill("10")
    page.locator("#team-budget").get_by_role("button", name="Save the team's budget").click()

    expect(page.get_by_text("The team's monthly budget is saved.")).to_be_visible()
    expect(page.locator("#team-budget")).to_contain_text("$9.00 of $10.00 (90 %)")
    assert page.locator("#team-budget meter").get_attribute("value") == "90"
    team.refresh_from_db()
    assert team.monthly_budget == Decimal("10.00")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "team-limits.png", full_page=True)


def test_at_80_percent_a_run_brings_a_notice_home_until_it_is_dismissed(live_app, page, live_user):
    alice = live_user("alice", "pw-alice-12345")
    PersonBudget.objects.create(user=alice, monthly_budget=Decimal("10"))
    spend(alice, "8.5")
    page.goto(f"{live_app.url}/accounts/login/")
    log_in(page, "alice", "pw-alice-12345")
    page.goto(f"{live_app.url}/models/{SCHNELL}/")
    page.fill("textarea[name=prompt]", "a lighthouse")

    page.click("[data-run]")  # 85 %: it runs, and the warning goes out
    page.locator("#run-panel .gen-status").wait_for()
    page.goto(f"{live_app.url}/")

    notice = page.locator("[data-budget-notice]")
    expect(notice).to_contain_text(
        "85 % of alice's personal monthly budget of $10.00 is spent ($8.50)."
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "budget-notice.png")
    notice.get_by_role("button", name="Dismiss this budget notice").click()
    expect(notice).to_have_count(0)
    page.reload()
    expect(page.locator("[data-budget-notice]")).to_have_count(0)
