"""Single sign-on in a real browser against a real OpenID Connect provider
(tests/js/oidc-idp.mjs): sign in at the provider, land signed in with the team role the
groups give; the groups change, the next sign-in changes the role."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from playground.activity.models import Action, Entry
from playground.lib.liveserver import free_port
from playground.sso.models import GroupRule
from tests.conftest import _live_server
from tests.sso.idp import CLIENT_ID, CLIENT_SECRET, start_idp

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(scope="module")
def sso_app(django_db_setup, django_db_blocker, tmp_path_factory):
    """A live Playground whose only sign-in provider is a real provider started after it
    (discovery is read lazily, at the first sign-in)."""
    port = free_port()
    env = {
        "OIDC_1_ISSUER": f"http://127.0.0.1:{port}",
        "OIDC_1_CLIENT_ID": CLIENT_ID,
        "OIDC_1_SECRET": CLIENT_SECRET,
        "OIDC_1_LABEL": "Test IdP",
        "OIDC_1_ID": "idp",
        "OIDC_1_SCOPES": "openid profile email groups",
    }
    data_dir = tmp_path_factory.mktemp("sso-live")
    with _live_server(django_db_blocker, data_dir, name="sso", **env) as server:
        idp = start_idp(
            tmp_path_factory.mktemp("sso-idp"),
            [f"{server.url}/sso/oidc/idp/login/callback/"],
            port=port,
        )
        try:
            yield server, idp
        finally:
            idp.stop()


def sign_in(page, server, login: str) -> None:
    page.goto(f"{server.url}/accounts/login/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sso-sign-in.png")
    page.get_by_role("button", name="Sign in with Test IdP").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    if page.get_by_role("button", name="Continue").count():
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(login)


def test_sign_in_with_the_provider_applies_then_updates_team_roles(sso_app, page):
    server, idp = sso_app
    design = Team.objects.create(name="Design", slug="design")
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    GroupRule.objects.create(group="design", team=design, role=Role.VIEWER)
    idp.set_account("dora", groups=["design-leads", "design"])

    sign_in(page, server, "dora")
    assert Membership.objects.get(team=design, user__username="dora").role == Role.ADMIN
    page.goto(f"{server.url}/teams/design/")
    expect(page.get_by_role("heading", name="Design")).to_be_visible()

    # Sign-out ends our session, then the provider's (RP-initiated logout: it asks, and
    # sends the browser back here).
    page.locator("summary").filter(has_text="dora").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    expect(page).to_have_url(f"{server.url}/")

    idp.set_account("dora", groups=["design"])
    sign_in(page, server, "dora")
    assert Membership.objects.get(team=design, user__username="dora").role == Role.VIEWER
    changed = Entry.objects.get(team=design, action=Action.ROLE_CHANGED)
    assert changed.details["via"] == "sso"
