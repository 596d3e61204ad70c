"""SAML sign-in against a real IdP (pysaml2's, tests/sso/saml/idp.py), through Django's
test client: what a browser would post, refused or accepted."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from playground.sso.saml import sp
from tests.sso.saml.conftest import (
    messages_of,
    post_answer,
    sign_in,
    sign_in_at_idp,
    signed_in_user,
    start_sign_in,
)

pytestmark = pytest.mark.django_db


def test_a_signed_answer_signs_the_person_in(client, saml_idp):
    response = sign_in(client, "ada")
    assert response.status_code == 302, messages_of(client, response)
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user.username == "ada"
    assert user.email == "ada@example.com"


def refused(client, response) -> str:
    """The refusal: back at the sign-in page, nobody signed in; what the page says."""
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None
    return " ".join(messages_of(client, response))


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("unsigned", "was not signed"),
        ("response-signed-only", "was not signed"),
        ("wrong-audience", "for another service"),
        ("wrong-destination", "addressed to another site"),
        ("expired", "has expired"),
        ("wrong-key", "signature is not Test IdP's"),
        ("denied", "Test IdP refused the sign-in"),
    ],
)
def test_a_hostile_answer_is_refused_in_plain_words(client, saml_idp, mode, words):
    text = refused(client, sign_in(client, "ada", mode=mode))
    assert words in text
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="ada").exists()


def test_a_replayed_answer_is_refused_in_the_same_browser_and_in_another(client, saml_idp):
    from django.test import Client

    answer = sign_in_at_idp(start_sign_in(client), "ada", "ada-pass")
    assert post_answer(client, answer)["Location"] == "/"
    client.logout()
    assert "already used" in refused(client, post_answer(client, answer))
    attacker = Client()
    assert "already used" in refused(attacker, post_answer(attacker, answer))


def test_an_answer_nobody_asked_for_is_refused(client, saml_idp):
    """IdP-initiated sign-in is off: an answer must reply to a request of this browser."""
    from django.test import Client

    answer = sign_in_at_idp(start_sign_in(Client()), "ada", "ada-pass")
    assert "did not ask for it" in refused(client, post_answer(client, answer))


def test_a_remembered_assertion_id_is_refused_even_if_its_request_is_still_open(client, saml_idp):
    """Belt and braces behind InResponseTo: the assertion's id is remembered until it
    expires, so the same assertion cannot sign in twice even where the browser's session
    still lists its request (e.g. a session copied before the first use)."""
    start = start_sign_in(client)
    copied_session = client.cookies["saml_session"].value
    answer = sign_in_at_idp(start, "ada", "ada-pass")
    assert post_answer(client, answer)["Location"] == "/"
    from django.test import Client

    other = Client()
    other.cookies["saml_session"] = copied_session
    # The copied session's store was changed by the first use; put the request back.
    from importlib import import_module

    from django.conf import settings
    from djangosaml2.cache import OutstandingQueriesCache

    store = import_module(settings.SESSION_ENGINE).SessionStore(copied_session)
    request_id = _request_id(answer)
    OutstandingQueriesCache(store).set(request_id, "/")
    store.save()
    assert "already used" in refused(other, post_answer(other, answer))


def _request_id(answer: dict) -> str:
    import base64
    import re

    xml = base64.b64decode(answer["SAMLResponse"]).decode()
    return re.search(r'InResponseTo="([^"]+)"', xml)[1]


def test_garbage_instead_of_an_answer_is_refused(client, saml_idp):
    start_sign_in(client)
    assert "could not be accepted" in refused(
        client, client.post("/sso/saml/test-idp/acs/", {"SAMLResponse": "bm90IHhtbA=="})
    )
    assert "could not be accepted" in refused(
        client, client.post("/sso/saml/test-idp/acs/", {"SAMLResponse": "%%%"})
    )


def test_an_acs_visited_by_hand_says_where_to_start(client, saml_idp):
    assert "Start the sign-in" in refused(client, client.get("/sso/saml/test-idp/acs/"))


def test_an_unknown_idp_is_404(client, saml_idp):
    assert client.post("/sso/saml/nobody/login/").status_code == 404
    assert client.post("/sso/saml/nobody/acs/", {"SAMLResponse": "x"}).status_code == 404


def test_an_unreachable_idp_is_a_message_not_an_error_page(client, saml_idp, settings):
    from tests.sso.saml.conftest import saml_idp_setting

    settings.SAML_IDPS = [saml_idp_setting(saml_idp, metadata_url="http://127.0.0.1:9/md")]
    response = client.post("/sso/saml/test-idp/login/")
    assert "Sign-in with Test IdP is unavailable right now" in refused(client, response)


def test_unusable_metadata_is_a_message_not_an_error_page(client, saml_idp, settings, tmp_path):
    from tests.sso.saml.conftest import saml_idp_setting

    junk = tmp_path / "idp.xml"
    junk.write_text("<md:EntityDescriptor xmlns:md='not saml'>")
    settings.SAML_IDPS = [saml_idp_setting(saml_idp, metadata_url="", metadata_file=str(junk))]
    response = client.post("/sso/saml/test-idp/login/")
    assert "unavailable right now" in refused(client, response)


def federation(saml_idp, tmp_path) -> str:
    """Metadata listing two IdPs (as a federation's does): ours and another entity."""
    one = saml_idp.metadata_xml().split("?>", 1)[-1]
    other = one.replace(f'entityID="{saml_idp.entity_id}"', 'entityID="https://other.example/"')
    path = tmp_path / "federation.xml"
    path.write_text(
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        f"{one}{other}</md:EntitiesDescriptor>"
    )
    return str(path)


def test_metadata_with_several_idps_needs_the_entity_id(client, saml_idp, settings, tmp_path):
    from tests.sso.saml.conftest import saml_idp_setting

    path = federation(saml_idp, tmp_path)
    settings.SAML_IDPS = [saml_idp_setting(saml_idp, metadata_url="", metadata_file=path)]
    assert "unavailable right now" in refused(client, client.post("/sso/saml/test-idp/login/"))

    sp.forget()
    settings.SAML_IDPS = [
        saml_idp_setting(
            saml_idp, metadata_url="", metadata_file=path, entity_id=saml_idp.entity_id
        )
    ]
    assert sign_in(client, "ada")["Location"] == "/"


def test_an_answer_from_another_idp_in_the_same_metadata_is_refused(
    client, saml_idp, settings, tmp_path
):
    """Configured for "other": the answer, signed by a key the metadata lists but issued
    by the IdP next to it, is not this provider's."""
    from tests.sso.saml.conftest import saml_idp_setting

    path = federation(saml_idp, tmp_path)
    settings.SAML_IDPS = [
        saml_idp_setting(
            saml_idp, metadata_url="", metadata_file=path, entity_id="https://other.example/"
        )
    ]
    assert "did not come from Test IdP" in refused(client, sign_in(client, "ada"))


def test_a_post_without_an_answer_is_a_message(client, saml_idp):
    assert "No answer from Test IdP" in refused(client, client.post("/sso/saml/test-idp/acs/"))


def test_the_acs_takes_the_idps_post_without_a_csrf_token(saml_idp):
    """The IdP's page posts the answer cross-origin: Django's CSRF check must not stop it."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    token_page = browser.get("/accounts/login/")
    token = token_page.cookies["csrftoken"].value
    start = browser.post("/sso/saml/test-idp/login/", {"csrfmiddlewaretoken": token})
    answer = sign_in_at_idp(start["Location"], "ada", "ada-pass")
    response = post_answer(browser, answer)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_login_url_needs_a_csrf_token(saml_idp):
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post("/sso/saml/test-idp/login/").status_code == 403


def test_with_our_key_pair_requests_are_signed_and_the_sign_in_works(client, saml_idp, settings):
    from urllib.parse import parse_qs, urlsplit

    from playground.sso.saml import sp
    from tests.sso.saml.idp import make_key_pair

    settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE = make_key_pair(saml_idp.folder, "sp")
    sp.forget()
    saml_idp.forget()  # the IdP reads our metadata (now with our certificate) again
    location = start_sign_in(client)
    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] and query["Signature"]
    answer = sign_in_at_idp(location, "ada", "ada-pass")
    assert post_answer(client, answer)["Location"] == "/"
    assert signed_in_user(client).username == "ada"


def test_an_xml_bomb_is_refused(client, saml_idp):
    import base64

    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;'
        "</samlp:Response>"
    )
    start_sign_in(client)
    answer = {"SAMLResponse": base64.b64encode(bomb.encode()).decode()}
    assert "could not be accepted" in refused(
        client, client.post("/sso/saml/test-idp/acs/", answer)
    )


def test_a_tampered_assertion_is_refused(client, saml_idp):
    """grace's signed answer, changed on the way to say ada: the signature no longer holds."""
    import base64

    answer = sign_in_at_idp(start_sign_in(client), "grace", "grace-pass")
    xml = base64.b64decode(answer["SAMLResponse"]).decode()
    assert xml.count(">grace<") >= 1
    forged = xml.replace(">grace<", ">ada<")
    answer["SAMLResponse"] = base64.b64encode(forged.encode()).decode()
    assert "signature is not Test IdP's" in refused(client, post_answer(client, answer))


def test_a_wrapped_signature_is_refused(client, saml_idp):
    """Signature wrapping: an unsigned assertion for ada put before grace's signed one (the
    signature still holds for the element it names, which is not the one read)."""
    import base64
    import re

    answer = sign_in_at_idp(start_sign_in(client), "grace", "grace-pass")
    xml = base64.b64decode(answer["SAMLResponse"]).decode()
    signed = re.search(r"<saml:Assertion .*?</saml:Assertion>", xml, re.S)[0]
    evil = re.sub(r"<ds:Signature.*?</ds:Signature>", "", signed, flags=re.S)
    evil = evil.replace(">grace<", ">ada<").replace('ID="', 'ID="evil', 1)
    forged = xml.replace(signed, evil + signed)
    answer["SAMLResponse"] = base64.b64encode(forged.encode()).decode()
    assert "could not be accepted" in refused(client, post_answer(client, answer))
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("next_url", "lands"), [("/gallery/", "/gallery/"), ("https://evil.example/", "/")]
)
def test_the_sign_in_goes_back_to_next_only_on_this_site(client, saml_idp, next_url, lands):
    assert sign_in(client, "ada", next=next_url)["Location"] == lands


def test_several_idps_each_answer_at_their_own_address(client, saml_idp, settings):
    """Two providers (here the same IdP twice): each signs in at its own ACS, and an
    answer for one posted to the other's is refused."""
    from playground.sso.saml.models import SamlIdentity
    from tests.sso.saml.conftest import saml_idp_setting

    settings.SAML_IDPS = [
        saml_idp_setting(saml_idp),
        saml_idp_setting(saml_idp, id="second", label="Second IdP"),
    ]
    answer = sign_in_at_idp(start_sign_in(client, "second"), "ada", "ada-pass")
    assert urlsplit(answer["action"]).path == "/sso/saml/second/acs/"
    assert post_answer(client, answer)["Location"] == "/"
    assert SamlIdentity.objects.get().provider == "second"

    client.logout()
    answer = sign_in_at_idp(start_sign_in(client, "test-idp"), "ada", "ada-pass")
    misplaced = client.post(
        "/sso/saml/second/acs/", {k: v for k, v in answer.items() if k != "action"}
    )
    assert "addressed to another site" in refused(client, misplaced)
