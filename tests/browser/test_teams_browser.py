"""Alice creates a team and an invite link; Bob, in another browser, opens the link, logs in
on the way, accepts, and finds himself on the team's page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def log_in(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_invite_link_brings_bob_into_alices_team(live_app, browser, page, live_user):
    live_user("alice", "pw-alice-12345")
    live_user("bob", "pw-bob-12345")

    page.goto(f"{live_app.url}/accounts/login/")
    log_in(page, "alice", "pw-alice-12345")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    expect(page.get_by_role("heading", name="You are not in a team yet")).to_be_visible()
    page.get_by_label("Team name").fill("Night Studio")
    page.get_by_role("button", name="Create team").click()

    expect(page).to_have_url(f"{live_app.url}/teams/night-studio/")
    expect(page.get_by_text("Team “Night Studio” created.")).to_be_visible()
    invitations = page.locator("#invitations")
    invitations.get_by_label("Role").first.select_option("member")
    invitations.get_by_role("button", name="Create invite link").click()
    expect(invitations.get_by_text("Invite link created.")).to_be_visible()
    link = invitations.get_by_label("Invite link").input_value()
    assert link.startswith(f"{live_app.url}/teams/join/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "team-page-owner.png", full_page=True)

    bob_context = browser.new_context(viewport={"width": 1280, "height": 900})
    bob_context.set_default_timeout(15_000)
    try:
        bob = bob_context.new_page()
        bob.goto(link)
        # Signed out, an invite link offers an account first; bob has one, so he logs in.
        expect(bob.get_by_role("heading", name="Create your account")).to_be_visible()
        bob.get_by_role("link", name="Log in").last.click()
        expect(bob.get_by_role("heading", name="Welcome back")).to_be_visible()
        log_in(bob, "bob", "pw-bob-12345")

        expect(bob.get_by_role("heading", name="Join Night Studio")).to_be_visible()
        expect(bob.get_by_text("alice invited you")).to_be_visible()
        # The card breathes: the facts and the button are apart.
        facts = bob.locator(".auth__card .kv").bounding_box()
        button = bob.get_by_role("button", name="Accept invitation").bounding_box()
        assert button["y"] - (facts["y"] + facts["height"]) >= 16
        bob.get_by_role("button", name="Accept invitation").click()

        expect(bob).to_have_url(f"{live_app.url}/teams/night-studio/")
        expect(bob.get_by_text("Welcome to “Night Studio”! You joined as member.")).to_be_visible()
        members = bob.locator("#members")
        expect(members.locator(".member", has_text="bob")).to_contain_text("Member")
        expect(members.locator(".member", has_text="alice")).to_contain_text("Owner")
        bob.screenshot(path=ARTIFACTS / "team-page-member.png", full_page=True)
    finally:
        bob_context.close()

    assert Membership.objects.get(user__username="bob", team__slug="night-studio").role == "member"
    page.reload()
    expect(page.locator("#members .member", has_text="bob")).to_be_visible()


def test_personal_key_is_saved_in_place_and_shown_by_its_last_four(live_app, page, live_user):
    live_user("carol", "pw-carol-12345")
    key = "browser-test-key-0123456789:abcdef9876"
    page.goto(f"{live_app.url}/accounts/login/")
    log_in(page, "carol", "pw-carol-12345")

    page.get_by_label("Account menu for carol").click()
    page.get_by_role("link", name="fal keys").click()
    expect(page.get_by_role("heading", name="Which key a run uses")).to_be_visible()
    page.get_by_label("fal key", exact=True).fill(key)
    page.get_by_role("button", name="Save key").click()

    section = page.locator("#fal-key")
    expect(section.get_by_text("Your fal key ending in 9876 is saved.")).to_be_visible()
    expect(section.get_by_text("…9876")).to_be_visible()
    expect(section.get_by_role("button", name="Replace key")).to_be_visible()
    assert key not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "fal-keys.png", full_page=True)

    section.get_by_text("Remove key…").click()
    section.get_by_role("button", name="Remove my key").click()
    expect(section.get_by_text("Your fal key was removed.")).to_be_visible()
    expect(section.get_by_text("No key stored")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.screenshot(path=ARTIFACTS / "teams-empty.png", full_page=True)


def test_an_invite_link_opened_signed_out_signs_up_and_joins(live_app, page, live_user):
    from playground.accounts.models import Invitation, Role, Team

    alice = live_user("inviter", "pw-inviter-12345")
    team = Team.objects.create(name="Dock Crew", slug="dock-crew")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    invitation = Invitation.objects.create(team=team, role=Role.MEMBER, created_by=alice)

    page.goto(f"{live_app.url}/teams/join/{invitation.token}/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_text("You are invited to join Dock Crew by inviter")).to_be_visible()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password", exact=True).fill("a-long-new-pass-4821")
    page.get_by_label("Confirm password").fill("a-long-new-pass-4821")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{live_app.url}/teams/dock-crew/")
    expect(page.get_by_text("You joined “Dock Crew” as member.")).to_be_visible()
    assert Membership.objects.get(user__username="newcomer", team=team).role == "member"
