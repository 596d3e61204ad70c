"""The Content-Security-Policy: on every HTML page, and pages that need nothing it refuses.

The browser tests (tests/conftest.py) fail on any violation a real page reports; these
tests check the header itself and the markup of every kind of page without a browser.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from csp.utils import build_policy
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from playground.accounts.models import Membership, Role, Team
from playground.jobs.models import MediaAsset
from playground.lib.csp import content_security_policy
from playground.localfal import address
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


class InlineCode(HTMLParser):
    """Collects what a strict CSP refuses: inline scripts (with their text), style
    attributes and elements, event handler attributes, `javascript:` URLs, htmx's
    evaluated attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.refused: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" not in values:
            kind = values.get("type", "").lower()
            self._in_script = kind in ("", "text/javascript", "module")
            if self._in_script:
                self.scripts.append("")
        if tag == "style":
            self.refused.append("<style> element")
        for name, value in values.items():
            if name == "style" or name.startswith(("on", "hx-on", "data-hx-on")):
                self.refused.append(f"<{tag} {name}={value!r}>")
            if value.strip().lower().startswith("javascript:"):
                self.refused.append(f"<{tag} {name}={value!r}>")
            if name in ("hx-vals", "hx-vars", "hx-headers") and value.lstrip().startswith("js:"):
                self.refused.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_strict(response) -> None:
    """The page has the policy, and nothing in it that the policy would refuse."""
    assert response.status_code == 200, response
    policy = directives(response.headers["Content-Security-Policy"])
    parser = InlineCode()
    parser.feed(response.content.decode())
    for script in parser.scripts:
        assert sha256_source(script) in policy["script-src"], f"unhashed inline script: {script}"
    assert parser.refused == [], response.wsgi_request.path


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root-12345")


def with_audio(generation):
    asset = MediaAsset.objects.create(
        generation=generation, kind="audio", content_type="audio/wav", bytes=4, sha256="0" * 64
    )
    asset.file.save("00-audio.wav", ContentFile(b"RIFF"))
    return generation


# -- the header --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/models/", "/admin/login/", "/nope/"])
def test_html_pages_carry_a_strict_policy(client, path):
    response = client.get(path)
    policy = directives(response.headers["Content-Security-Policy"])

    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    scripts = policy["script-src"]
    assert scripts[0] == "'self'" and all(s.startswith("'sha256-") for s in scripts[1:])
    for media in ("img-src", "media-src"):
        assert {"'self'", "data:", "blob:"} <= set(policy[media])
        assert not any("fal.media" in source for source in policy[media])


def test_fal_mode_lets_pictures_come_from_fals_media_cdn():
    header = build_policy(content_security_policy(fal_mode=True)["DIRECTIVES"])
    policy = directives(header)

    for media in ("img-src", "media-src"):
        assert {"https://fal.media", "https://*.fal.media"} <= set(policy[media])
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


def test_local_mode_allows_the_emulators_learned_origin_for_its_files(client, settings):
    settings.FAL_MODE, settings.LOCALFAL_URL = "local", ""
    address.forget()
    address.learn({"type": "http", "server": ("127.0.0.1", 5123)})
    try:
        policy = directives(client.get("/").headers["Content-Security-Policy"])
    finally:
        address.forget()
    assert "http://127.0.0.1:5123" in policy["img-src"]
    assert "http://127.0.0.1:5123" in policy["media-src"]
    assert not any("fal.media" in source for source in policy["img-src"])


def test_fal_mode_has_no_emulator_origin(client, settings):
    settings.FAL_MODE, settings.LOCALFAL_URL = "fal", "http://127.0.0.1:8000/localfal"
    policy = directives(client.get("/").headers["Content-Security-Policy"])
    assert "http://127.0.0.1:8000" not in policy["img-src"]


# -- pages need nothing the policy refuses ---------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/", "/models/", "/accounts/login/", "/accounts/signup/", "/healthz"]
)
def test_public_pages_need_no_inline_code(client, path):
    response = client.get(path)
    if response.headers["Content-Type"].startswith("text/html"):
        assert_strict(response)


def test_signed_in_pages_need_no_inline_code(client_alice, alice):
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    picture = finished(alice, "a lighthouse")
    sound = with_audio(finished(alice, "a song", image=False))
    pages = [
        "/",
        reverse("gallery:index"),
        reverse("gallery:compare") + f"?g={picture.code}&g={finished(alice).code}",
        picture.get_absolute_url(),
        sound.get_absolute_url(),
        reverse("catalog:model", args=["fal-ai/flux/schnell"]) + f"?from={picture.code}",
        reverse("realtime:page", args=["fal-ai/lcm-sd15-i2i"]),
        reverse("teams:list"),
        reverse("teams:detail", args=[team.slug]),
        reverse("fal_keys"),
        reverse("password_change"),
    ]
    for path in pages:
        assert_strict(client_alice.get(path))


def test_every_bundled_model_page_needs_no_inline_code(client_alice):
    """All the form's widgets: sliders, files, arrays, unions, seeds..."""
    from playground.catalog.models import Endpoint

    for endpoint_id in Endpoint.objects.values_list("endpoint_id", flat=True):
        assert_strict(client_alice.get(reverse("catalog:model", args=[endpoint_id])))


def test_shared_pages_need_no_inline_code(client_alice, alice):
    generation = with_audio(finished(alice, "shared"))
    client_alice.post(reverse("gallery:visibility", args=[generation.code]), {"visibility": "link"})
    generation.refresh_from_db()
    assert_strict(Client().get(reverse("gallery:share", args=[generation.share_token])))


def test_the_admin_needs_no_inline_code(client, staff):
    client.force_login(staff)
    for path in ["/admin/", "/admin/auth/user/", f"/admin/auth/user/{staff.pk}/change/"]:
        assert_strict(client.get(path))


def test_templates_carry_no_inline_code():
    """Also templates no test renders: every file under templates/."""
    for path in TEMPLATES.rglob("*.html"):
        parser = InlineCode()
        parser.feed(path.read_text())
        assert parser.refused == [], path
        assert parser.scripts == [], path
