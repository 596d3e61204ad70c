"""OpenID Connect sign-in against a real provider (tests/js/oidc-idp.mjs), at the HTTP
level: a first sign-in makes the account and applies the group rules; every hostile
answer is refused with words on the sign-in page and leaves nobody signed in."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core.cache import cache

from playground.accounts.models import Membership, Role, Team
from playground.sso.models import GroupRule
from playground.sso.oidc import tokens
from playground.sso.oidc.config import allauth_providers, providers_from_env
from tests.sso.idp import CLIENT_ID, new_signing_key, sign_in_at_idp, start_idp

CALLBACK = "http://testserver/sso/oidc/idp/login/callback/"


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    server = start_idp(tmp_path_factory.mktemp("idp"), [CALLBACK])
    yield server
    server.stop()


@pytest.fixture
def oidc(idp, settings):
    providers = providers_from_env(idp.env())
    settings.OIDC_PROVIDERS = providers
    settings.SOCIALACCOUNT_PROVIDERS = allauth_providers(providers)
    cache.clear()
    idp.set_account("dora", groups=["design-leads"])
    return idp


def start(client) -> str:
    answer = client.post("/sso/oidc/idp/login/")
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def finish(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(parts.path, parse_qs(parts.query), follow=True)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def refusal(page) -> str:
    assert page.redirect_chain[-1][0].startswith("/accounts/login/"), page.redirect_chain
    return " ".join(str(m) for m in page.context["messages"])


@pytest.mark.django_db
def test_a_first_sign_in_makes_the_account_and_applies_the_group_rules(client, oidc):
    design = Team.objects.create(name="Design", slug="design")
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    authorize = start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]
    page = finish(client, sign_in_at_idp(authorize, "dora"))
    assert signed_in(client), page.content
    member = Membership.objects.get(team=design)
    assert (member.user.username, member.role) == ("dora", Role.ADMIN)


@pytest.mark.django_db
def test_a_taken_username_gets_a_number(client, oidc, django_user_model):
    django_user_model.objects.create_user("dora")
    finish(client, sign_in_at_idp(start(client), "dora"))
    assert client.session["_auth_user_id"] == str(
        django_user_model.objects.get(username="dora2").pk
    )


@pytest.mark.django_db
def test_a_wrong_state_is_refused(client, oidc):
    callback = sign_in_at_idp(start(client), "dora")
    page = finish(client, callback.replace("state=", "state=x"))
    assert "could not be matched" in refusal(page)
    assert not signed_in(client)


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(client, oidc):
    callback = sign_in_at_idp(start(client), "dora")
    finish(client, callback)
    client.logout()
    page = finish(client, callback)
    assert "could not be matched" in refusal(page)
    assert not signed_in(client)


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def stashed_state(client, state_id: str) -> dict:
    return client.session["socialaccount_states"][state_id][0]


@pytest.mark.django_db
def test_a_code_carried_into_another_sign_in_is_refused(client, oidc):
    """An attacker's code injected into someone's sign-in: PKCE (the code was issued for
    another verifier) makes the provider refuse it."""
    stolen = query_of(sign_in_at_idp(start(client), "dora"))["code"]
    client.logout()
    state = query_of(start(client))["state"]
    page = finish(client, f"{CALLBACK}?code={stolen}&state={state}")
    assert "did not accept this sign-in" in refusal(page)
    assert not signed_in(client)
    assert "code_verifier does not match" in oidc.log()


@pytest.mark.django_db
def test_a_code_used_twice_is_refused_by_the_provider(client, oidc):
    first = query_of(sign_in_at_idp(start(client), "dora"))
    verifier = stashed_state(client, first["state"])["pkce_code_verifier"]
    finish(client, f"{CALLBACK}?code={first['code']}&state={first['state']}")
    assert signed_in(client)
    client.logout()
    state = query_of(start(client))["state"]
    session = client.session  # the new sign-in, made to hold the first one's verifier
    session["socialaccount_states"][state][0]["pkce_code_verifier"] = verifier
    session.save()
    page = finish(client, f"{CALLBACK}?code={first['code']}&state={state}")
    assert "did not accept this sign-in" in refusal(page)
    assert not signed_in(client)
    assert "authorization code already consumed" in oidc.log()


@pytest.mark.django_db
def test_a_declined_consent_is_said_in_words(client, oidc):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    page = finish(client, f"{CALLBACK}?error=access_denied&state={state}")
    assert "declined" in refusal(page)
    assert not signed_in(client)


@pytest.mark.django_db
def test_an_unreachable_provider_is_said_in_words(client, settings):
    providers = providers_from_env({"OIDC_1_ISSUER": "http://127.0.0.1:9", "OIDC_1_ID": "idp",
                                    "OIDC_1_CLIENT_ID": "c", "OIDC_1_SECRET": "s"})  # fmt: skip
    settings.OIDC_PROVIDERS = providers
    settings.SOCIALACCOUNT_PROVIDERS = allauth_providers(providers)
    cache.clear()
    page = client.post("/sso/oidc/idp/login/", follow=True)
    assert "Could not reach" in refusal(page)


# ID tokens the provider's JWKS and discovery are checked against (real ones, served by
# the running provider), signed here: with its key but wrong claims, or with another key.


def id_token(idp, key=None, kid=None, **claims) -> str:
    now = int(time.time())
    body = {"iss": idp.url, "aud": CLIENT_ID, "sub": "dora", "iat": now, "exp": now + 300,
            "nonce": "n-1", **claims}  # fmt: skip
    return jwt.encode(body, key or idp.private_key, algorithm="RS256",
                      headers={"kid": kid or idp.kid})  # fmt: skip


def check(idp, raw: str, nonce: str = "n-1") -> dict:
    config = tokens.discovery(idp.url, "Test IdP")
    return tokens.check_id_token(raw, config=config, client_id=CLIENT_ID, nonce=nonce,
                                 label="Test IdP")  # fmt: skip


@pytest.mark.django_db
def test_a_token_signed_by_the_provider_key_passes(oidc):
    assert check(oidc, id_token(oidc))["sub"] == "dora"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("claims", "nonce", "words"),
    [
        ({"aud": "someone-else"}, "n-1", "meant for another application"),
        ({"exp": int(time.time()) - 3600}, "n-1", "had expired"),
        ({"iss": "http://evil.example"}, "n-1", "did not come from"),
        ({}, "n-2", "did not belong to this sign-in"),
        ({"nonce": None}, "n-1", "did not belong to this sign-in"),
    ],
)
def test_a_token_with_wrong_claims_is_refused(oidc, claims, nonce, words):
    with pytest.raises(tokens.OidcError, match=words):
        check(oidc, id_token(oidc, **claims), nonce=nonce)


@pytest.mark.django_db
def test_a_token_signed_by_another_key_is_refused(oidc):
    other, _ = new_signing_key()
    with pytest.raises(tokens.OidcError, match="not signed by"):
        check(oidc, id_token(oidc, key=other))
    with pytest.raises(tokens.OidcError, match="not signed with any key"):
        check(oidc, id_token(oidc, key=other, kid="unknown-kid"))


@pytest.mark.django_db
def test_a_little_clock_skew_is_tolerated(oidc, settings):
    settings.OIDC_CLOCK_SKEW_SECONDS = 60
    assert check(oidc, id_token(oidc, exp=int(time.time()) - 30))


@pytest.mark.django_db
def test_an_hmac_signed_token_is_refused(oidc):
    raw = jwt.encode({"iss": oidc.url, "aud": CLIENT_ID}, "playground-client-secret" * 2,
                     algorithm="HS256")  # fmt: skip
    with pytest.raises(tokens.OidcError, match="not signed as expected"):
        check(oidc, raw)


@pytest.mark.django_db
def test_signing_in_again_with_fewer_groups_takes_the_team_away(client, oidc):
    design = Team.objects.create(name="Design", slug="design")
    GroupRule.objects.create(group="design-leads", team=design, role=Role.ADMIN)
    finish(client, sign_in_at_idp(start(client), "dora"))
    client.logout()
    oidc.set_account("dora", groups=["marketing"])
    finish(client, sign_in_at_idp(start(client), "dora"))
    assert signed_in(client)
    assert not Membership.objects.filter(team=design).exists()


@pytest.mark.django_db
def test_an_existing_account_is_not_linked_by_email_by_default(client, oidc, django_user_model):
    local = django_user_model.objects.create_user("dora.local", email="dora@example.com")
    finish(client, sign_in_at_idp(start(client), "dora"))
    assert client.session["_auth_user_id"] != str(local.pk)
    assert django_user_model.objects.get(pk=client.session["_auth_user_id"]).username == "dora"


@pytest.fixture
def linking(settings):
    settings.SSO_LINK_BY_EMAIL = True
    settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
    settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True


@pytest.mark.django_db
def test_with_linking_a_verified_email_signs_in_to_the_existing_account(
    client, oidc, linking, django_user_model
):
    local = django_user_model.objects.create_user("dora.local", email="dora@example.com")
    finish(client, sign_in_at_idp(start(client), "dora"))
    assert client.session["_auth_user_id"] == str(local.pk)


@pytest.mark.django_db
def test_with_linking_an_unverified_email_makes_a_new_account(
    client, oidc, linking, django_user_model
):
    local = django_user_model.objects.create_user("dora.local", email="dora@example.com")
    oidc.set_account("dora", email_verified=False)
    finish(client, sign_in_at_idp(start(client), "dora"))
    assert signed_in(client)
    assert client.session["_auth_user_id"] != str(local.pk)


@pytest.mark.django_db
def test_a_deactivated_account_is_refused_in_words(client, oidc, django_user_model):
    finish(client, sign_in_at_idp(start(client), "dora"))
    client.logout()
    django_user_model.objects.filter(username="dora").update(is_active=False)
    page = finish(client, sign_in_at_idp(start(client), "dora"))
    assert "deactivated" in refusal(page)
    assert not signed_in(client)


@pytest.mark.django_db
def test_sign_in_starts_only_by_post_and_only_for_a_configured_provider(client, oidc):
    assert client.get("/sso/oidc/idp/login/").status_code == 405
    assert client.post("/sso/oidc/nobody/login/").status_code == 404
    assert client.get("/sso/oidc/nobody/login/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_new_signing_keys_are_fetched_when_a_token_names_an_unknown_key(oidc):
    config = tokens.discovery(oidc.url, "Test IdP")
    cache.set(f"sso:oidc:jwks:{config['jwks_uri']}", {"keys": []})  # before a rotation
    assert check(oidc, id_token(oidc))["sub"] == "dora"


@pytest.mark.django_db
def test_sign_out_offers_the_providers_end_session(client, oidc):
    finish(client, sign_in_at_idp(start(client), "dora"))
    answer = client.post("/accounts/logout/")
    assert answer["Location"].startswith(f"{oidc.url}/session/end?id_token_hint=")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F" in answer["Location"]
    assert not signed_in(client)


@pytest.mark.django_db
def test_a_password_sign_out_stays_here(client_alice, oidc):
    answer = client_alice.post("/accounts/logout/")
    assert answer["Location"] == "/"


@pytest.fixture(scope="module")
def forger(tmp_path_factory):
    server = start_idp(tmp_path_factory.mktemp("forger"), [CALLBACK], forged=True)
    yield server
    server.stop()


@pytest.mark.django_db
def test_an_id_token_from_the_token_endpoint_signed_by_another_key_is_refused(
    client, forger, settings
):
    """Through the whole flow: the token endpoint hands over an ID token whose signature
    the published keys do not verify (allauth alone would not look)."""
    providers = providers_from_env(forger.env())
    settings.OIDC_PROVIDERS = providers
    settings.SOCIALACCOUNT_PROVIDERS = allauth_providers(providers)
    cache.clear()
    forger.set_account("dora")
    page = finish(client, sign_in_at_idp(start(client), "dora"))
    assert "not signed by Test IdP" in refusal(page)
    assert not signed_in(client)


@pytest.mark.django_db
def test_an_answer_naming_another_issuer_is_refused(client, oidc):
    callback = sign_in_at_idp(start(client), "dora")
    page = finish(client, callback.replace("iss=", "iss=http%3A%2F%2Fevil.test&was="))
    assert "did not come from Test IdP" in refusal(page)
    assert not signed_in(client)
