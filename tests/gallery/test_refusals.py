"""Refusals are words in the page: htmx gets an alert for the messages area, a plain
request the site's own 403 page with a way back; the status stays 403 for scripts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from playground.jobs.models import Generation
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(alice, team):
    return finished(alice, "a lighthouse", team=team, visibility="team")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_htmx_write_refused_is_an_alert_for_the_messages_area(vera, posted):
    response = client_of(vera).post(
        reverse("gallery:favorite", args=[posted.code]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == ".container.messages"
    assert response["HX-Reswap"] == "innerHTML"
    text = response.content.decode()
    assert 'class="alert alert--error"' in text and "<html" not in text
    assert "You may look at this generation but not change it." in text


def test_a_plain_write_refused_is_our_page_with_a_way_back(vera, posted):
    back = "http://testserver/teams/studio/gallery/"
    response = client_of(vera).post(
        reverse("gallery:delete", args=[posted.code]), HTTP_REFERER=back
    )
    assert response.status_code == 403
    text = response.content.decode()
    assert "You can't do that here" in text and f'href="{back}"' in text
    assert "<html" in text  # the site's layout, not a bare "403 Forbidden"


def test_a_foreign_referer_is_no_way_back(vera, posted):
    response = client_of(vera).post(
        reverse("gallery:delete", args=[posted.code]), HTTP_REFERER="https://evil.example/"
    )
    assert response.status_code == 403 and "evil.example" not in response.content.decode()


def test_a_bulk_delete_with_a_teammates_item_changes_nothing_and_says_why(bob, posted, team):
    own = finished(bob, "bob's", team=team, visibility="team")
    response = client_of(bob).post(
        reverse("gallery:bulk"), {"action": "delete", "g": [str(own.code), str(posted.code)]}
    )
    assert response.status_code == 403
    assert "1 of the 2 selected is a teammate&#x27;s" in response.content.decode()
    assert not Generation.objects.filter(deleted_at__isnull=False).exists()


def test_team_cards_offer_move_and_delete_only_for_what_the_person_may_change(
    vera, adam, posted, team
):
    own = finished(vera, "vera's", team=team, visibility="team")
    page = client_of(vera).get(reverse("gallery:team", args=["studio"])).content.decode()
    assert f'data-code="{own.code}" data-editable' in page
    assert f'data-code="{posted.code}">' in page  # alice's: not vera's to change
    page = client_of(adam).get(reverse("gallery:team", args=["studio"])).content.decode()
    assert f'data-code="{posted.code}" data-editable' in page  # admins curate


def test_a_viewer_is_not_offered_cancel_on_a_teammates_run(vera, alice, team, client_alice):
    from tests.jobs.conftest import submit

    running = submit(alice)
    running.team = team
    running.save(update_fields=["team"])
    page = client_of(vera).get(running.get_absolute_url()).content.decode()
    assert 'class="gen-readonly"' in page  # hides the panel's Cancel (gallery.css)
    own = client_alice.get(running.get_absolute_url()).content.decode()
    assert 'class="gen-readonly"' not in own and "gen-status__cancel" in own
    refused = client_of(vera).post(
        reverse("jobs:cancel", args=[running.code]), HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 403 and refused["HX-Retarget"] == ".container.messages"
