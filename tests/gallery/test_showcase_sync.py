"""The sharing controls and the showcase toggle change each other, so htmx gets both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.gallery.queries import card_title
from playground.jobs.models import Generation
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db


def test_making_it_private_takes_it_off_the_showcase_and_says_so(client_alice, alice, team):
    generation = finished(alice, "a lighthouse", team=team, visibility="public", in_showcase=True)
    response = client_alice.post(
        reverse("gallery:visibility", args=[generation.code]),
        {"visibility": "private"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert text.startswith(f'<div class="g-sharing" id="sharing-{generation.code}">')
    assert f'id="showcase-{generation.code}" hx-swap-oob="true"' in text
    assert "Add to team showcase" in text and "Remove from showcase" not in text
    assert not Generation.objects.get(pk=generation.pk).in_showcase


def test_showcasing_it_makes_it_public_and_the_sharing_fragment_says_so(client_alice, alice, team):
    generation = finished(alice, "a lighthouse", team=team, visibility="team")
    response = client_alice.post(
        reverse("gallery:showcase_toggle", args=[generation.code]),
        {"shown": "1"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert text.lstrip().startswith(
        f'<div class="g-showcase-toggle" id="showcase-{generation.code}">'
    )
    assert f'id="sharing-{generation.code}" hx-swap-oob="true"' in text
    assert "Remove from showcase" in text and '<option value="public" selected>' in text


def test_a_speech_card_is_titled_by_its_words(alice):
    spoken = finished(alice, image=False, input={"text": "  Hello there.  "})
    nothing = finished(alice, image=False, input={"voice": "x"})
    assert card_title(spoken) == "Hello there."
    assert card_title(nothing) == "fal-ai/flux/schnell"


def test_a_link_only_share_leaves_the_showcase_too(client_alice, alice, team):
    generation = finished(alice, "a lighthouse", team=team, visibility="public", in_showcase=True)
    client_alice.post(reverse("gallery:visibility", args=[generation.code]), {"visibility": "link"})
    generation.refresh_from_db()
    assert generation.visibility == "link" and generation.share_token
    assert not generation.in_showcase  # the showcase lists public generations only
