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


@pytest.mark.django_db
def test_a_replayed_code_is_refused_by_the_provider(client, oidc):
    used = parse_qs(urlsplit(sign_in_at_idp(start(client), "dora")).query)
    finish(client, f"{CALLBACK}?code={used['code'][0]}&state={used['state'][0]}")
    client.logout()
    fresh = parse_qs(urlsplit(start(client)).query)  # a new sign-in, its state
    page = finish(client, f"{CALLBACK}?code={used['code'][0]}&state={fresh['state'][0]}")
    assert "did not accept this sign-in" in refusal(page)
    assert not signed_in(client)


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
