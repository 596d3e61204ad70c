"""The sign-in and sign-up pages with single sign-on: provider buttons, and SSO_ONLY
(password sign-in only for staff, at ?password=1; no sign-up)."""

from __future__ import annotations

import pytest

from playground.sso.oidc.config import providers_from_env

pytestmark = pytest.mark.django_db

OKTA = {
    "OIDC_1_ISSUER": "https://example.okta.com",
    "OIDC_1_CLIENT_ID": "client",
    "OIDC_1_SECRET": "s3cret-value",
    "OIDC_1_LABEL": "Okta",
}


@pytest.fixture
def okta(settings):
    settings.OIDC_PROVIDERS = providers_from_env(OKTA)
    return settings


@pytest.fixture
def sso_only(settings):
    settings.SSO_ONLY = True
    return settings


def test_the_sign_in_page_offers_each_provider_and_no_secret(client, okta):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Okta" in page
    assert 'action="/sso/oidc/okta/login/"' in page
    assert "s3cret-value" not in page
    assert 'name="password"' in page


def test_sso_only_hides_the_password_form(client, okta, sso_only, alice):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Okta" in page
    assert 'name="password"' not in page
    assert "?password=1" in page


def test_sso_only_refuses_a_right_password_of_someone_not_staff(client, sso_only, alice):
    page = client.post(
        "/accounts/login/?password=1", {"username": "alice", "password": "pw-alice-12345"}
    )
    assert page.status_code == 200
    assert "Password sign-in is off" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_sso_only_lets_staff_in_with_a_password(client, sso_only, alice):
    alice.is_staff = True
    alice.save()
    assert 'name="password"' in client.get("/accounts/login/?password=1").content.decode()
    answer = client.post(
        "/accounts/login/?password=1", {"username": "alice", "password": "pw-alice-12345"}
    )
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_sso_only_refuses_sign_up(client, okta, sso_only, settings, alice):
    settings.SIGNUP = "open"
    page = client.get("/accounts/signup/")
    assert "Accounts come from single sign-on" in page.content.decode()
    assert "Sign in with Okta" in page.content.decode()
    answer = client.post(
        "/accounts/signup/",
        {"username": "eve", "password1": "a-long-pass-123", "password2": "a-long-pass-123"},
    )
    assert answer.status_code == 403


def test_provider_settings_say_what_is_missing():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="OIDC_1_SECRET"):
        providers_from_env({**OKTA, "OIDC_1_SECRET": ""})
    with pytest.raises(ImproperlyConfigured, match="OIDC_2_ID"):
        providers_from_env({**OKTA, "OIDC_2_ISSUER": "https://b", "OIDC_2_CLIENT_ID": "c",
                            "OIDC_2_SECRET": "s", "OIDC_2_ID": "Bad Id"})  # fmt: skip
    assert "s3cret" not in repr(providers_from_env(OKTA))


def test_checks_warn_of_a_plain_http_issuer_and_of_sso_only_without_providers(settings):
    from playground.sso.checks import issuers_use_https, sso_only_has_a_provider

    settings.OIDC_PROVIDERS = providers_from_env({**OKTA, "OIDC_1_ISSUER": "http://idp.test"})
    assert [w.id for w in issuers_use_https()] == ["sso.W001"]
    settings.OIDC_PROVIDERS = []
    settings.SSO_ONLY = True
    assert [w.id for w in sso_only_has_a_provider()] == ["sso.W002"]


def test_several_providers_each_get_a_button_and_ids_must_differ(client, db, settings):
    from django.core.exceptions import ImproperlyConfigured

    from playground.sso.providers import configured

    second = {"OIDC_2_ISSUER": "https://login.example", "OIDC_2_CLIENT_ID": "c",
              "OIDC_2_SECRET": "s", "OIDC_2_LABEL": "Entra ID"}  # fmt: skip
    settings.OIDC_PROVIDERS = providers_from_env({**OKTA, **second})
    assert [p.id for p in configured()] == ["okta", "entra-id"]
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Okta" in page and "Sign in with Entra ID" in page
    with pytest.raises(ImproperlyConfigured, match="okta"):
        providers_from_env({**OKTA, **second, "OIDC_2_ID": "okta"})
