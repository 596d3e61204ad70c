"""Who a SAML sign-in signs in, and with which teams: accounts made just in time, linked
by e-mail only when allowed, and roles following the IdP's groups at every sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from playground.accounts.models import Membership, Role, Team
from playground.sso.models import GroupRule
from playground.sso.saml.models import SamlIdentity
from tests.sso.saml.conftest import IDP_USERS, saml_idp_setting, sign_in, signed_in_user

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def design():
    team = Team.objects.create(name="Design", slug="design")
    GroupRule.objects.create(group="design-leads", team=team, role=Role.ADMIN)
    return team


def test_the_groups_attribute_gives_team_roles_at_every_sign_in(client, saml_idp, design):
    sign_in(client, "ada")
    ada = signed_in_user(client)
    assert Membership.objects.get(user=ada, team=design).role == Role.ADMIN

    client.logout()
    IDP_USERS["ada"].groups.remove("design-leads")
    try:
        sign_in(client, "ada")
    finally:
        IDP_USERS["ada"].groups.append("design-leads")
    assert signed_in_user(client) == ada  # the same account again
    assert not Membership.objects.filter(user=ada, team=design).exists()


def test_a_rule_for_another_provider_gives_nothing(client, saml_idp, design):
    GroupRule.objects.update(provider="okta")
    sign_in(client, "ada")
    assert not Membership.objects.filter(team=design).exists()


def test_the_identity_is_remembered_by_idp_and_name_id(client, saml_idp):
    sign_in(client, "ada")
    identity = SamlIdentity.objects.get()
    assert identity.provider == "test-idp"
    assert identity.user.username == "ada"
    assert not identity.user.has_usable_password()


def test_a_taken_username_gets_a_number_and_the_local_account_stays_apart(client, saml_idp):
    local = User.objects.create_user("ada", email="ada@example.com", password="pw-local-123")
    sign_in(client, "ada")
    user = signed_in_user(client)
    assert user != local
    assert user.username == "ada2"


def test_email_links_an_account_only_when_allowed_and_vouched_for(client, saml_idp, settings):
    local = User.objects.create_user("ada.local", email="ADA@example.com", password="pw-12345")
    settings.SSO_LINK_BY_EMAIL = True  # but the IdP is not trusted for addresses
    sign_in(client, "ada")
    made = signed_in_user(client)
    assert made != local

    client.logout()
    made.delete()  # with its identity: the next sign-in is a first one again
    settings.SAML_IDPS = [saml_idp_setting(saml_idp, email_verified=True)]
    sign_in(client, "ada")
    assert signed_in_user(client) == local


def test_email_never_links_a_staff_account(client, saml_idp, settings):
    User.objects.create_user("root", email="ada@example.com", password="pw-12345", is_staff=True)
    settings.SSO_LINK_BY_EMAIL = True
    settings.SAML_IDPS = [saml_idp_setting(saml_idp, email_verified=True)]
    sign_in(client, "ada")
    assert signed_in_user(client).username == "ada"


def test_a_disabled_account_is_refused(client, saml_idp):
    sign_in(client, "ada")
    User.objects.filter(username="ada").update(is_active=False)
    client.logout()
    response = sign_in(client, "ada")
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None


def test_the_username_attribute_can_be_chosen(client, saml_idp, settings):
    settings.SAML_IDPS = [saml_idp_setting(saml_idp, username_attribute="displayName")]
    IDP_USERS["grace"].display_name = "Grace Hopper"
    try:
        sign_in(client, "grace")
    finally:
        IDP_USERS["grace"].display_name = ""
    assert signed_in_user(client).username == "Grace.Hopper"
