"""Visibility, share links (no login, Open Graph tags), revoking, and the showcase."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from playground.jobs.models import Generation
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db


def share(client, generation, visibility="link"):
    client.post(reverse("gallery:visibility", args=[generation.code]), {"visibility": visibility})
    return Generation.objects.get(pk=generation.pk)


def test_a_link_share_gets_an_unguessable_token(client_alice, alice):
    generation = share(client_alice, finished(alice))
    assert generation.visibility == "link" and len(generation.share_token) >= 43
    text = client_alice.get(generation.get_absolute_url()).text
    assert reverse("gallery:share", args=[generation.share_token]) in text


def test_the_shared_page_needs_no_login_and_has_preview_tags(client_alice, alice, settings):
    settings.PUBLIC_BASE_URL = "https://play.example.com"
    generation = share(client_alice, finished(alice, "a lighthouse at dusk", notes="secret"))
    page = Client().get(reverse("gallery:share", args=[generation.share_token]))
    text = page.text
    assert page.status_code == 200
    file_url = reverse("gallery:share_file", args=[generation.share_token, "00-images-0.png"])
    assert f'<meta property="og:image" content="https://play.example.com{file_url}">' in text
    assert '<meta name="twitter:card" content="summary_large_image">' in text
    assert '<meta property="og:description" content="a lighthouse at dusk">' in text
    assert "https://play.example.com/s/" in text
    assert "secret" not in text  # notes stay private
    assert page["X-Robots-Tag"] == "noindex" and 'name="robots"' in text
    assert "/media/generations/" not in text  # media served under the link


def test_og_urls_fall_back_to_the_request_host(client_alice, alice, settings):
    settings.PUBLIC_BASE_URL = ""
    generation = share(client_alice, finished(alice))
    text = Client().get(reverse("gallery:share", args=[generation.share_token])).text
    assert 'content="http://testserver/s/' in text


def test_revoking_clears_the_token_and_the_link_stops_working(client_alice, alice):
    generation = share(client_alice, finished(alice))
    token = generation.share_token
    generation = share(client_alice, generation, "private")
    assert generation.share_token is None
    assert Client().get(reverse("gallery:share", args=[token])).status_code == 404


def test_a_new_link_replaces_the_old_one(client_alice, alice):
    generation = share(client_alice, finished(alice))
    old = generation.share_token
    client_alice.post(reverse("gallery:visibility", args=[generation.code]), {"reset": "1"})
    generation.refresh_from_db()
    assert generation.share_token != old
    assert Client().get(reverse("gallery:share", args=[old])).status_code == 404
    assert Client().get(reverse("gallery:share", args=[generation.share_token])).status_code == 200


def test_a_deleted_generation_is_no_longer_shared(client_alice, alice):
    generation = share(client_alice, finished(alice))
    client_alice.post(reverse("gallery:delete", args=[generation.code]))
    assert Client().get(reverse("gallery:share", args=[generation.share_token])).status_code == 404


def test_sharing_answers_htmx_with_the_sharing_box(client_alice, alice):
    generation = finished(alice)
    response = client_alice.post(
        reverse("gallery:visibility", args=[generation.code]),
        {"visibility": "public"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "data-share-url" in response.text


def test_bad_visibilities_are_refused(client_alice, alice):
    generation = finished(alice)
    url = reverse("gallery:visibility", args=[generation.code])
    assert client_alice.post(url, {"visibility": "everyone"}).status_code == 400
    assert client_alice.post(url, {"visibility": "team"}).status_code == 400  # no team


def test_unknown_tokens_are_404(client):
    assert client.get("/s/nope/").status_code == 404
    assert client.get("/s/" + "x" * 80 + "/").status_code == 404


def test_the_showcase_lists_curated_public_generations(client_alice, alice, team):
    shown = finished(alice, "for the demo", team=team, visibility="team")
    hidden = finished(alice, "not chosen", team=team, visibility="public")
    client_alice.post(reverse("gallery:showcase_toggle", args=[shown.code]), {"shown": "1"})
    shown.refresh_from_db()
    assert shown.in_showcase and shown.visibility == "public" and shown.share_token
    client_alice.post(reverse("gallery:publish_showcase", args=[team.slug]), {"public": "1"})
    page = Client().get(reverse("gallery:showcase", args=[team.slug]))
    assert "for the demo" in page.text and "not chosen" not in page.text
    assert reverse("gallery:share", args=[shown.share_token]) in page.text
    assert hidden.pk  # listed nowhere without a curator's choice
    share(client_alice, shown, "team")  # made un-public: off the showcase too
    assert "for the demo" not in Client().get(reverse("gallery:showcase", args=[team.slug])).text


def test_moving_to_a_team_and_back(client_alice, alice, team):
    generation = finished(alice)
    client_alice.post(reverse("gallery:move", args=[generation.code]), {"team": team.pk})
    generation.refresh_from_db()
    assert generation.team == team and generation.visibility == "team"
    client_alice.post(reverse("gallery:move", args=[generation.code]), {"team": ""})
    generation.refresh_from_db()
    assert generation.team is None and generation.visibility == "private"


def test_posting_to_a_team_one_is_not_in_is_refused(client, alice, charlie, team):
    mine = finished(charlie)
    client.force_login(charlie)
    response = client.post(reverse("gallery:move", args=[mine.code]), {"team": team.pk})
    assert response.status_code == 403
    assert Generation.objects.get(pk=mine.pk).team is None


def test_a_shared_answer_is_formatted_markdown_and_never_runs_html(client_alice, alice):
    answer = "## Plan\n\n- **one**\n\n<script>alert(1)</script>"
    generation = finished(alice, image=False, output={"output": answer})
    generation = share(client_alice, generation)

    page = Client().get(reverse("gallery:share", args=[generation.share_token])).text

    assert "<h2>Plan</h2>" in page and "<strong>one</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
