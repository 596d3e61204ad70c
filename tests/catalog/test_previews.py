"""File fields preview only files stored here or on fal (catalog/previews.py): a form
filled from someone else's run must not make this browser fetch their arbitrary URL."""

from __future__ import annotations

import json
import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from playground.catalog.previews import can_preview, preview_prefixes
from playground.localfal.address import emulator_url
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db
I2I = "fal-ai/lcm-sd15-i2i"
BASE = "http://testserver/"
TRACKER = "http://tracker.invalid/pixel.png"


def prefixes() -> list[str]:
    return preview_prefixes(RequestFactory().get("/"))


def test_files_on_our_storage_may_be_previewed(settings):
    settings.LOCALFAL_URL = "http://127.0.0.1:8000/localfal"
    ours = [
        "http://testserver/media/generations/x/00-images-0.png",
        "/media/generations/x/00-images-0.png",
        "http://testserver/localfal/cdn/files/0123/a.png",
        "http://127.0.0.1:8000/localfal/cdn/files/0123/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ]
    assert [url for url in ours if not can_preview(url, prefixes(), BASE)] == []


@pytest.mark.parametrize(
    "url",
    [
        TRACKER,
        "http://10.0.0.1/inside.png",
        "http://127.0.0.1:8000/admin/",
        "http://testserver/accounts/logout/",
        "http://testserver/media/../accounts/logout/",
        "http://testserver/media/%2e%2e/accounts/",
        "http://testserver.evil.example/media/a.png",
        "http://testserver@evil.example/media/a.png",
        "http://testserver\\@evil.example/media/a.png",
        "https://v3.fal.media/files/a.png",  # not in local mode: the CSP refuses it too
        "javascript:alert(1)",
        "",
    ],
)
def test_other_urls_are_not_previewed(url):
    assert not can_preview(url, prefixes(), BASE)


def test_fals_media_cdn_is_previewed_in_fal_mode(settings):
    settings.FAL_MODE = "fal"
    allowed = prefixes()

    assert can_preview("https://v3.fal.media/files/koala/a.png", allowed, BASE)
    assert can_preview("https://fal.media/files/a.png", allowed, BASE)
    assert can_preview("https://storage.googleapis.com/falserverless/gallery/a.jpg", allowed, BASE)
    assert not can_preview("https://storage.googleapis.com/someone-else/a.jpg", allowed, BASE)
    assert not can_preview("https://fal.media.evil.example/a.png", allowed, BASE)
    assert not can_preview("http://v3.fal.media/files/a.png", allowed, BASE)


def reuse(client, user, image_url: str, owner, into_team=None):
    generation = submit(owner, I2I, data={"prompt": "a fox", "image_url": image_url})
    if into_team is not None:
        generation.team, generation.visibility = into_team, "team"
        generation.save()
    client.force_login(user)
    return client.get(reverse("catalog:model", args=[I2I]), {"from": generation.code}).text


def test_a_teammates_foreign_url_is_shown_as_text_not_loaded(client, alice, bob, team):
    html = reuse(client, bob, TRACKER, alice, team)

    assert f'value="{TRACKER}"' in html
    assert not re.search(r"<(img|audio|video)[^>]*tracker\.invalid", html)
    assert 'title="No preview: only files stored here or on fal are shown"' in html


def test_a_file_of_ours_is_previewed_when_reused(client, alice):
    url = emulator_url() + "/cdn/files/0123/a.png"
    html = reuse(client, alice, url, alice)

    assert f'<img src="{url}"' in html


def test_the_page_gives_its_script_the_same_prefixes(client_alice):
    html = client_alice.get(reverse("catalog:model", args=[I2I])).text
    data = re.search(r'<script id="preview-prefixes" type="application/json">(.*?)</script>', html)

    assert json.loads(data.group(1)) == prefixes()
