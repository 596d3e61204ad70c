"""My gallery and the team gallery: cards, filters, search, sort, keyset pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from playground.gallery.queries import Filters, decode_cursor
from playground.jobs.models import Generation
from tests.gallery.conftest import finished
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db
INDEX = "/gallery/"


def codes_in(html: str, generations) -> list[str]:
    """Codes of `generations` in the order the page shows them."""
    found = [(html.find(f'data-code="{g.code}"'), str(g.code)) for g in generations]
    return [code for at, code in sorted(found) if at >= 0]


def test_an_empty_gallery_teaches_what_it_is_for(client_alice):
    page = client_alice.get(INDEX)
    assert page.status_code == 200
    assert "Your gallery is empty" in page.text
    assert reverse("catalog:browse") in page.text


def test_cards_show_thumbnails_newest_first(client_alice, alice):
    old = finished(alice, "older fox")
    new = finished(alice, "newer fox")
    page = client_alice.get(INDEX)
    assert codes_in(page.text, [old, new]) == [str(new.code), str(old.code)]
    assert new.assets.get().thumbnail.url in page.text
    assert 'alt="newer fox"' in page.text


def test_sort_oldest_first(client_alice, alice):
    old, new = finished(alice, "one"), finished(alice, "two")
    page = client_alice.get(INDEX, {"sort": "oldest"})
    assert codes_in(page.text, [old, new]) == [str(old.code), str(new.code)]


def test_unfinished_and_failed_runs_show_their_state(client_alice, alice):
    failed = submit(alice, data={"prompt": "broken"})
    Generation.objects.filter(pk=failed.pk).update(
        status="failed", error={"message": "The model ran out of memory."}
    )
    page = client_alice.get(INDEX)
    assert "ran out of memory" in page.text
    assert "gen-badge--failed" in page.text


def test_search_finds_every_word_in_prompts_tags_and_notes(client_alice, alice):
    lighthouse = finished(alice, "A lighthouse at dusk")
    finished(alice, "a fox in snow")
    tagged = finished(alice, "portrait", tags=["moody"], notes="for the client")
    assert codes_in(client_alice.get(INDEX, {"q": "lighthouse dusk"}).text, [lighthouse]) == [
        str(lighthouse.code)
    ]
    assert client_alice.get(INDEX, {"q": "lighthouse snow"}).text.count("data-code=") == 0
    assert str(tagged.code) in client_alice.get(INDEX, {"q": "moody"}).text
    assert str(tagged.code) in client_alice.get(INDEX, {"q": "client"}).text


def test_search_matches_prefixes_as_you_type(client_alice, alice):
    lighthouse = finished(alice, "a lighthouse")
    assert str(lighthouse.code) in client_alice.get(INDEX, {"q": "lightho"}).text


def test_search_with_no_results_explains_itself(client_alice, alice):
    finished(alice, "a fox")
    page = client_alice.get(INDEX, {"q": "zebra"})
    assert "Nothing matches" in page.text and "Clear filters" in page.text


def test_search_ignores_query_syntax(client_alice, alice):
    finished(alice, "a fox")
    for q in ["fox & !", "'", "fox:* | (", "\\", "%_"]:
        assert client_alice.get(INDEX, {"q": q}).status_code == 200


def test_filters(client_alice, alice, team):
    image = finished(alice, "an image", favorite=True)
    text = finished(alice, "a story", image=False, media_kind="text", team=team)
    failed = submit(alice, data={"prompt": "failed"})
    Generation.objects.filter(pk=failed.pk).update(status="failed")
    everything = [image, text, failed]

    def shown(**query):
        return set(codes_in(client_alice.get(INDEX, query).text, everything))

    assert shown(kind="image") == {str(image.code)}
    assert shown(status="failed") == {str(failed.code)}
    assert shown(favorites="1") == {str(image.code)}
    assert shown(team="studio") == {str(text.code)}
    assert shown(team="personal") == {str(image.code), str(failed.code)}
    assert shown(model="fal-ai/flux/schnell") == {str(c.code) for c in everything}
    assert shown(model="fal-ai/flux/dev") == set()
    assert shown(group="image") == {str(c.code) for c in everything}
    assert shown(group="video") == set()
    assert shown(kind="nonsense") == {str(c.code) for c in everything}  # junk is ignored


def test_date_range(client_alice, alice):
    old = finished(alice, "last month")
    Generation.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=30))
    new = finished(alice, "today")
    today = timezone.localdate().isoformat()
    assert codes_in(client_alice.get(INDEX, {"since": today}).text, [old, new]) == [str(new.code)]
    until = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert codes_in(client_alice.get(INDEX, {"until": until}).text, [old, new]) == [str(old.code)]


def test_deleted_generations_are_not_listed(client_alice, alice):
    gone = finished(alice, "gone", deleted_at=timezone.now())
    assert str(gone.code) not in client_alice.get(INDEX).text


def test_keyset_pages_cover_everything_once(client_alice, alice, monkeypatch):
    monkeypatch.setattr("playground.gallery.queries.PAGE_SIZE", 3)
    generations = [finished(alice, f"run {i}", image=False) for i in range(8)]
    # Same timestamps too: the id breaks ties, so nothing is skipped or repeated.
    Generation.objects.filter(pk__in=[g.pk for g in generations[2:5]]).update(
        created=generations[2].created
    )
    seen, url, pages = [], INDEX, 0
    while url:
        page = client_alice.get(url, headers={"HX-Request": "true"} if pages else {})
        pages += 1
        seen += codes_in(page.text, generations)
        more = re.search(r'class="g-more" hx-get="([^"]+)"', page.text)
        url = more.group(1).replace("&amp;", "&") if more else ""
    assert pages == 3
    assert seen == [str(g.code) for g in sorted(generations, key=lambda g: (g.created, g.pk))][::-1]


def test_the_next_page_is_a_fragment_for_htmx(client_alice, alice, monkeypatch):
    monkeypatch.setattr("playground.gallery.queries.PAGE_SIZE", 1)
    finished(alice, "one"), finished(alice, "two")
    first = client_alice.get(INDEX)
    assert "<html" in first.text and 'class="g-more"' in first.text
    cursor = first.text.split("cursor=", 1)[1].split('"', 1)[0]
    more = client_alice.get(INDEX, {"cursor": cursor}, headers={"HX-Request": "true"})
    assert "<html" not in more.text and more.text.count("data-code=") == 1
    assert 'class="g-more"' not in more.text  # the end


def test_changing_filters_with_htmx_returns_the_results_region(client_alice, alice):
    finished(alice, "a fox")
    response = client_alice.get(
        INDEX, {"q": "fox"}, headers={"HX-Request": "true", "HX-Target": "gallery-results"}
    )
    assert response.text.lstrip().startswith('<div id="gallery-results"')
    assert "<html" not in response.text


def test_a_junk_cursor_starts_at_the_beginning(client_alice, alice):
    finished(alice, "a fox")
    assert client_alice.get(INDEX, {"cursor": "!!nonsense"}).status_code == 200
    assert decode_cursor("bm9wZQ") is None


def test_filters_round_trip_into_links():
    filters = Filters.from_query({"q": "fox", "favorites": "1", "sort": "oldest"})
    assert filters.query_string() == "q=fox&favorites=1&sort=oldest"
    assert filters.active == ["q", "favorites"]


def test_the_list_needs_the_same_few_queries_for_any_page_size(
    client_alice, alice, team, django_assert_max_num_queries
):
    from playground.gallery import queries

    for i in range(queries.PAGE_SIZE + 6):  # a full page, and more behind it
        finished(alice, f"run {i}", team=team if i % 2 else None, tags=["t"])
    client_alice.get(INDEX)  # warm the model-choices cache
    # session, user, memberships, generations, their assets
    with django_assert_max_num_queries(5):
        assert client_alice.get(INDEX).text.count("data-code=") == queries.PAGE_SIZE
    with django_assert_max_num_queries(5):
        assert client_alice.get(INDEX, {"q": "run", "kind": "image"}).status_code == 200


def test_the_team_gallery_needs_few_queries(
    client_alice, alice, bob, team, django_assert_max_num_queries
):
    for i in range(20):
        finished(bob if i % 2 else alice, f"run {i}", team=team, visibility="team")
    # session, user, team, membership, memberships, the team's models (cached), generations
    # with their authors, assets
    with django_assert_max_num_queries(8):
        page = client_alice.get(reverse("gallery:team", args=["studio"]))
    assert page.text.count("data-code=") == 20
    assert page.text.count("by bob") == 10 and page.text.count("by you") == 10


def test_the_team_gallery_shows_what_members_posted(client, bob, alice, team, vera):
    mine = finished(alice, "posted", team=team, visibility="team")
    private = finished(alice, "private")
    client.force_login(vera)
    page = client.get(reverse("gallery:team", args=["studio"]))
    assert str(mine.code) in page.text and str(private.code) not in page.text
    # a viewer cannot favorite alice's generation: no button, only her star if any
    assert reverse("gallery:favorite", args=[mine.code]) not in page.text


def test_an_empty_team_gallery_says_how_to_post(client_alice, team):
    page = client_alice.get(reverse("gallery:team", args=["studio"]))
    assert "Nothing posted to Studio yet" in page.text


def test_the_nav_links_to_the_gallery(client_alice):
    assert 'href="/gallery/"' in client_alice.get("/models/").text
