"""SAML sign-in in a real browser: "Sign in with Test IdP" on our sign-in page, the
person signs in at a real SAML IdP (pysaml2's, tests/sso/saml/idp.py), lands back signed
in, with the team role its groups attribute gives through a group rule, and signs out
here and at the IdP (single logout); an expired
answer from the IdP is a message on the sign-in page."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import _live_server
from tests.sso.saml.idp import IdpUser, TestIdp

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(scope="module")
def saml_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """(the live server, the IdP): the server has the IdP configured from the environment,
    as an install would; the IdP reads the server's metadata when first asked."""
    server_url = {}
    idp = TestIdp(
        sp_metadata=lambda: httpx.get(f"{server_url['url']}/sso/saml/metadata/").text,
        users={"ada": IdpUser(password="ada-pass", email="ada@example.com", groups=["design"])},
    ).start()
    env = {
        "SAML_1_METADATA_URL": idp.metadata_url,
        "SAML_1_LABEL": "Test IdP",
        "SAML_1_ID": "test-idp",
    }
    data_dir = tmp_path_factory.mktemp("saml")
    try:
        with _live_server(django_db_blocker, data_dir, name="saml", **env) as server:
            server_url["url"] = server.url
            yield server, idp
    finally:
        idp.stop()


def test_sign_in_with_the_idp_lands_signed_in_with_the_team_role(saml_site, page):
    from playground.accounts.models import Membership, Role, Team
    from playground.sso.models import GroupRule

    server, idp = saml_site
    design = Team.objects.create(name="Design", slug="design")
    GroupRule.objects.create(group="design", team=design, role=Role.ADMIN)

    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test IdP").click()
    expect(page).to_have_title("Test IdP sign-in")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("ada-pass")
    page.get_by_role("button", name="Sign in at IdP").click()

    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("ada")
    membership = Membership.objects.get(user__username="ada", team=design)
    assert membership.role == Role.ADMIN
    page.goto(f"{server.url}/teams/")
    expect(page.get_by_role("link", name="Design")).to_be_visible()

    # Sign-out ends our session, then single logout at the IdP, which sends the browser
    # back to our logout return, and home.
    logouts = len(idp.logouts)
    page.locator("summary").filter(has_text="ada").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")
    ).to_be_visible()
    assert len(idp.logouts) == logouts + 1


def test_an_expired_answer_is_a_message_on_the_sign_in_page(saml_site, page):
    server, _ = saml_site
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test IdP").click()
    # What a misbehaving IdP sends: the test sets the IdP form's hidden mode.
    page.locator("input[name=mode]").evaluate("input => input.value = 'expired'")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("ada-pass")
    page.get_by_role("button", name="Sign in at IdP").click()

    expect(page).to_have_url(f"{server.url}/accounts/login/")
    expect(page.get_by_text("The answer from Test IdP has expired")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Test IdP")).to_be_visible()
