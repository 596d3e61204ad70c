"""SAML settings from the environment, our metadata, and nothing fetched until a sign-in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from saml2 import md
from saml2.xml.schema import validate as validate_against_schema

from playground.sso import providers
from playground.sso.saml import sp
from playground.sso.saml.config import form_action_origins, idps_from_env
from tests.sso.saml.conftest import saml_idp_setting


def test_numbered_variables_make_idps():
    found = idps_from_env(
        {
            "SAML_1_METADATA_URL": "https://corp.okta.com/app/x/sso/saml/metadata",
            "SAML_1_LABEL": "Okta",
            "SAML_2_METADATA_FILE": __file__,
            "SAML_2_ID": "entra",
            "SAML_2_GROUPS_ATTRIBUTE": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            "SAML_2_EMAIL_VERIFIED": "1",
            "SAML_3_METADATA_URL": "",  # a copied .env.example: nothing
        }
    )
    assert [(idp.id, idp.label) for idp in found] == [
        ("okta", "Okta"),
        ("entra", "SAML provider 2"),
    ]
    assert found[0].groups_attribute == "groups"
    assert found[1].email_verified and not found[0].email_verified


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"SAML_1_METADATA_URL": "http://idp.example/md"}, "https://"),
        ({"SAML_1_METADATA_URL": "https://a/md", "SAML_1_METADATA_FILE": "/x"}, "not both"),
        ({"SAML_1_METADATA_FILE": "/no/such/file.xml"}, "names no file"),
        ({"SAML_1_METADATA_URL": "https://a/md", "SAML_1_ID": "Bad Id"}, "lowercase"),
        ({"SAML_1_METADATA_URL": "https://a/md", "SAML_1_EMAIL_VERIFIED": "maybe"}, "1 or 0"),
        (
            {
                **{"SAML_1_METADATA_URL": "https://a/md", "SAML_1_LABEL": "Corp"},
                **{"SAML_2_METADATA_URL": "https://b/md", "SAML_2_LABEL": "Corp"},
            },
            "Two SAML",
        ),
    ],
)
def test_a_bad_setting_stops_the_start(environ, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        idps_from_env(environ)


def test_plain_http_metadata_is_allowed_only_from_this_machine():
    assert idps_from_env({"SAML_1_METADATA_URL": "http://127.0.0.1:8080/md"})
    assert idps_from_env({"SAML_1_METADATA_URL": "http://localhost/md"})


def test_our_metadata_is_valid_saml_metadata(client, saml_idp):
    response = client.get("/sso/saml/metadata/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/samlmetadata+xml")
    validate_against_schema(response.content.decode())  # the SAML metadata XML schema
    entity = md.entity_descriptor_from_string(response.content.decode())
    assert entity.entity_id == "http://testserver/sso/saml/metadata/"
    (descriptor,) = entity.spsso_descriptor
    assert descriptor.want_assertions_signed == "true"
    assert [acs.location for acs in descriptor.assertion_consumer_service] == [
        "http://testserver/sso/saml/test-idp/acs/"
    ]
    assert not descriptor.key_descriptor  # no key pair configured: nothing to publish


def test_our_metadata_publishes_the_certificate_but_never_the_key(client, saml_idp, settings):
    key_file, cert_file = saml_idp.key_file, saml_idp.cert_file  # any key pair will do
    settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE = key_file, cert_file
    sp.forget()
    body = client.get("/sso/saml/metadata/").content.decode()
    cert = open(cert_file).read().split("-----")[2].replace("\n", "")
    assert cert[:64] in body.replace("\n", "")
    assert "PRIVATE KEY" not in body
    key_text = open(key_file).read().split("-----")[2].replace("\n", "")
    assert key_text[:64] not in body.replace("\n", "")


def test_the_entity_id_follows_public_base_url_or_the_setting(client, saml_idp, settings):
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    sp.forget()
    entity = md.entity_descriptor_from_string(client.get("/sso/saml/metadata/").content.decode())
    assert entity.entity_id == "https://studio.example.com/sso/saml/metadata/"
    settings.SAML_SP_ENTITY_ID = "urn:playground:studio"
    sp.forget()
    entity = md.entity_descriptor_from_string(client.get("/sso/saml/metadata/").content.decode())
    assert entity.entity_id == "urn:playground:studio"


def test_checks_and_the_sign_in_buttons_touch_no_network(client, settings, monkeypatch, db):
    """Configured IdPs give buttons at once; their metadata is read at the first sign-in."""

    def no_fetch(url):
        raise AssertionError(f"fetched {url}")

    monkeypatch.setattr(sp, "_fetch", no_fetch)
    settings.SAML_IDPS = idps_from_env(
        {"SAML_1_METADATA_URL": "https://corp.okta.com/md", "SAML_1_LABEL": "Okta"}
    )
    sp.forget()
    call_command("check")
    saml_buttons = [p for p in providers.configured() if p.protocol == providers.SAML]
    assert [(p.id, p.start_url) for p in saml_buttons] == [("okta", "/sso/saml/okta/login/")]
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Okta" in page
    assert 'action="/sso/saml/okta/login/"' in page


def test_metadata_is_fetched_once_and_kept(client, saml_idp, monkeypatch, db):
    fetched = []
    real_fetch = sp._fetch
    monkeypatch.setattr(sp, "_fetch", lambda url: fetched.append(url) or real_fetch(url))
    for _ in range(3):
        client.post("/sso/saml/test-idp/login/")
    assert fetched == [saml_idp.metadata_url]


def test_a_kept_copy_serves_when_the_idp_is_down(saml_idp, settings, monkeypatch):
    idp = saml_idp_setting(saml_idp)
    first = sp.idp_metadata(idp)
    settings.SAML_METADATA_CACHE_SECONDS = 0  # always stale: fetch again
    sp._metadata[idp.id].until = 0

    def down(url):
        raise sp.MetadataUnavailable("down")

    monkeypatch.setattr(sp, "_fetch", down)
    assert sp.idp_metadata(idp) == first


def test_form_action_allows_the_idps_hosts_without_the_network(saml_idp, tmp_path):
    """CSP's form-action also covers the redirect after the sign-in button's (and the
    sign-out form's) post: the IdPs' hosts are allowed, from the metadata URL, or from the
    services listed in a metadata file."""
    metadata = tmp_path / "idp.xml"
    metadata.write_text(saml_idp.metadata_xml())
    from_url = saml_idp_setting(saml_idp, metadata_url="https://corp.okta.com/app/x/metadata")
    from_file = saml_idp_setting(saml_idp, id="file", metadata_url="", metadata_file=metadata)
    assert form_action_origins([from_url, from_file]) == sorted(
        ["https://corp.okta.com", saml_idp.base_url]
    )


def test_a_missing_xmlsec1_is_a_check_error_when_saml_is_configured(settings, monkeypatch):
    from playground.sso.saml.checks import xmlsec1_is_installed

    monkeypatch.setattr("shutil.which", lambda name: None)
    settings.SAML_IDPS = []
    assert xmlsec1_is_installed() == []
    settings.SAML_IDPS = idps_from_env({"SAML_1_METADATA_URL": "https://corp.okta.com/md"})
    assert [error.id for error in xmlsec1_is_installed()] == ["sso_saml.E001"]


def test_pages_without_saml_never_load_pysaml2(tmp_path):
    """pysaml2 takes most of a second to import: the sign-in page (with a SAML button) and
    the checks do without it; only the SAML URLs load it."""
    import os
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command; call_command('check')\n"
        "from django.test import Client; from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "page = Client().get('/accounts/login/').content.decode()\n"
        "assert 'Sign in with Okta' in page, page\n"
        "print('saml2' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "DATA_DIR": str(tmp_path),
        "DEBUG": "1",  # static files without a manifest
        "SAML_1_METADATA_URL": "https://corp.okta.com/md",
        "SAML_1_LABEL": "Okta",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_a_key_pair_given_as_text_goes_to_a_private_file(client, saml_idp, settings):
    import os
    import stat

    from tests.sso.saml.idp import make_key_pair

    key_file, cert_file = make_key_pair(saml_idp.folder, "text-sp")
    # As an .env file holds it: one line, with \n for the line breaks.
    settings.SAML_SP_KEY = open(key_file).read().replace("\n", "\\n")
    settings.SAML_SP_CERT = open(cert_file).read().replace("\n", "\\n")
    sp.forget()
    written_key, _ = sp._sp_key_pair()
    assert open(written_key).read() == open(key_file).read()
    assert stat.S_IMODE(os.stat(written_key).st_mode) == 0o600
    body = client.get("/sso/saml/metadata/").content.decode().replace("\n", "")
    assert open(cert_file).read().split("-----")[2].replace("\n", "")[:64] in body
    assert "PRIVATE" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/sso/saml/metadata/", "/sso/saml/any/acs/"])
def test_without_a_configured_idp_the_saml_addresses_answer_404(client, settings, path):
    settings.SAML_IDPS = []

    assert client.get(path).status_code == 404
    assert client.post(path, {"SAMLResponse": "PHNhbWw+"}).status_code == 404
