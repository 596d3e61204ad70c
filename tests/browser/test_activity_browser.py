"""An admin changes a role on the team page, opens the team's activity from there, filters
it, downloads the CSV, and reads it on a phone-sized screen: in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from playground.accounts import actions as team_actions
from playground.accounts.models import Membership, Role
from playground.activity.actions import record
from playground.activity.models import Action

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def studio(live_user):
    """Alice's team: Ada is an admin, Bob a member who ran two models for it."""
    alice = live_user("act-alice", "pw-alice-12345")
    ada = live_user("act-ada", "pw-ada-12345")
    bob = live_user("act-bob", "pw-bob-12345")
    team = team_actions.create_team(user=alice, name="Night Studio")
    Membership.objects.create(user=ada, team=team, role=Role.ADMIN)
    Membership.objects.create(user=bob, team=team, role=Role.MEMBER)
    for model in ("fal-ai/flux/schnell", "fal-ai/stable-diffusion-v35-large-turbo-with-a-long-id"):
        record(team, bob, Action.RUN_STARTED, target=model, target_url="/runs/")
    record(team, alice, Action.TEAM_KEY_SET, target="…abcd", details={"last4": "abcd"})
    return team


def test_an_admin_filters_the_team_activity_and_downloads_it(live_app, page, studio):
    url = live_app.url
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("act-ada")
    page.get_by_label("Password").fill("pw-ada-12345")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")

    page.goto(f"{url}/teams/{studio.slug}/")
    page.get_by_label("Role of act-bob").select_option("viewer")
    page.get_by_role("button", name="Save role of act-bob").click()
    expect(page.get_by_text("act-bob is now viewer.")).to_be_visible()
    page.get_by_role("link", name="Activity").click()

    expect(page.get_by_role("heading", name="Activity", level=1)).to_be_visible()
    entries = page.get_by_role("list", name="Activity").get_by_role("listitem")
    expect(entries).to_have_count(5)  # created, 2 runs, key, role
    expect(entries.first).to_contain_text("act-ada changed a role: act-bob")
    expect(entries.first).to_contain_text("member → viewer")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "team-activity.png", full_page=True)

    page.get_by_label("Person").select_option(label="act-bob")
    page.get_by_label("Action").select_option(label="Ran a model")
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("act-bob ran a model")
    assert "action=run.started" in page.url

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "night-studio-activity.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("time,person,action,")
    assert len(lines) == 3 and all(",act-bob,run.started," in line for line in lines[1:])

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(entries).to_have_count(2)
    assert overflow(page) <= 0
    page.screenshot(path=ARTIFACTS / "team-activity-390.png", full_page=True)

    page.get_by_role("link", name="Clear").click()
    expect(entries).to_have_count(5)
    assert overflow(page) <= 0

    # The team page, with its Activity link, fits the phone too.
    page.get_by_role("link", name="Night Studio").click()
    expect(page.get_by_role("link", name="Activity")).to_be_visible()
    assert overflow(page) <= 0
