"""SAML sign-in against a real IdP (pysaml2's, tests/sso/saml/idp.py), through Django's
test client: what a browser would post, refused or accepted."""

from __future__ import annotations

import pytest

from tests.sso.saml.conftest import messages_of, sign_in, signed_in_user

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
        ("wrong-audience", "for another service"),
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
