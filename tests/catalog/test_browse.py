from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playground.catalog.categories import group_for
from playground.catalog.importer import search_text_for
from playground.catalog.models import Endpoint
from playground.catalog.views.browse import PAGE_SIZE, model_url

pytestmark = pytest.mark.django_db
URL = reverse("catalog:browse")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalog-results"}
SMALL_SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}}


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", "correct-horse-battery-42")


def add_endpoints(count: int, *, prefix: str = "bench/model", category: str = "text-to-image"):
    """Cheap extra rows: tiny schemas, the group and search text an import would set."""
    rows = []
    for n in range(count):
        endpoint_id = f"{prefix}-{n:04d}"
        title = f"Model {n:04d}"
        group = group_for(endpoint_id, category)
        rows.append(
            Endpoint(
                endpoint_id=endpoint_id,
                title=title,
                category=category,
                group=group,
                description="A generated endpoint for tests.",
                search_text=search_text_for(endpoint_id, title, "", category, group),
                input_schema=SMALL_SCHEMA,
                output_schema=SMALL_SCHEMA,
                schema_sha="0" * 64,
                modes=["queue", "run"],
            )
        )
    Endpoint.objects.bulk_create(rows)


def add_endpoint(endpoint_id: str, title: str, description: str = "", category: str = "image"):
    group = group_for(endpoint_id, category)
    return Endpoint.objects.create(
        endpoint_id=endpoint_id,
        title=title,
        category=category,
        group=group,
        description=description,
        search_text=search_text_for(endpoint_id, title, description, category, group),
        input_schema=SMALL_SCHEMA,
        output_schema=SMALL_SCHEMA,
        schema_sha="0" * 64,
        modes=["queue", "run"],
    )


def card_ids(html: str) -> list[str]:
    return re.findall(r'<p class="model-card__id"[^>]*>([^<]+)</p>', html)


def get(client, **params):
    return client.get(URL, params)


def test_visitor_can_browse_the_catalog_without_logging_in(client):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "catalog/browse.html" in [t.name for t in response.templates]
    assert len(card_ids(html)) == Endpoint.objects.count()
    assert 'href="/models/fal-ai/flux/dev/"' in html
    assert 'aria-current="page">Models</a>' in html


def test_signed_in_user_sees_the_same_catalog(client, alice):
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 200
    assert len(card_ids(response.content.decode())) == Endpoint.objects.count()


def test_cards_show_title_id_group_modes_and_a_summary(client):
    add_endpoint(
        "acme/painter",
        "Acme Painter",
        "Paints in watercolor.\nSecond line is not shown.",
        category="text-to-image",
    )

    html = get(client, q="acme painter").content.decode()

    card = html[html.index('<article class="model-card"') :]
    card = card[: card.index("</article>")]
    assert 'href="/models/acme/painter/"' in card
    assert "Acme Painter" in card
    assert "acme/painter" in card
    assert ">Image</li>" in card
    assert ">queue</li>" in card and ">run</li>" in card
    assert "Paints in watercolor." in card
    assert "Second line" not in card


def test_streaming_and_realtime_modes_are_shown_on_cards(client):
    html = get(client, q="fast-lcm-diffusion").content.decode()
    assert "model-card__mode--extra" in html
    assert ">realtime</li>" in html


def test_htmx_search_returns_only_the_results_region(client):
    full = client.get(URL, {"q": "flux"})
    partial = client.get(URL, {"q": "flux"}, **HTMX)

    assert "<html" in full.content.decode()
    html = partial.content.decode()
    assert "<html" not in html
    assert 'id="catalog-q"' not in html
    assert 'id="catalog-grid"' in html
    assert 'id="catalog-announce" hx-swap-oob="innerHTML"' in html
    assert card_ids(html) == card_ids(full.content.decode())
    assert partial.headers["HX-Push-Url"] == "/models/?q=flux"
    assert "HX-Request" in partial.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(client):
    response = client.get(
        URL, {"q": "flux"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_search_matches_ids(client):
    ids = card_ids(get(client, q="seedvr/upscale").content.decode())
    assert ids == ["fal-ai/seedvr/upscale/image"]


def test_search_matches_titles_case_insensitively(client):
    ids = card_ids(get(client, q="KLING").content.decode())
    assert set(ids) == {
        "fal-ai/kling-video/lipsync/audio-to-video",
        "fal-ai/kling-video/v2.1/master/image-to-video",
    }


def test_search_matches_descriptions(client):
    add_endpoint("acme/brush", "Brush", "Turns sketches into watercolor paintings.")

    ids = card_ids(get(client, q="watercolor").content.decode())

    assert ids == ["acme/brush"]


def test_every_word_must_match_in_any_order(client):
    ids = card_ids(get(client, q="dev flux").content.decode())
    assert "fal-ai/flux/dev" in ids
    assert "fal-ai/flux/schnell" not in ids


def test_prefix_matches_come_first_then_alphabetical(client):
    add_endpoint("acme/zeta-schnell-remix", "Zeta Remix")
    add_endpoint("acme/alpha", "Alpha", "Faster than schnell.")

    ids = card_ids(get(client, q="schnell").content.decode())

    assert ids[0] == "fal-ai/flux/schnell"  # title "Flux Schnell" is not a prefix, id word is
    assert ids.index("acme/zeta-schnell-remix") < ids.index("acme/alpha")
    assert ids[-1] == "acme/alpha"  # description-only match last


def test_exact_id_is_the_first_result(client):
    ids = card_ids(get(client, q="fal-ai/flux/dev").content.decode())
    assert ids[0] == "fal-ai/flux/dev"


def test_group_filter_shows_only_that_group(client):
    html = get(client, group="video").content.decode()

    ids = card_ids(html)
    videos = set(Endpoint.objects.filter(group="video").values_list("endpoint_id", flat=True))
    assert set(ids) == videos
    assert re.search(r'id="group-tab-video"[^>]*aria-current="page"', html)
    assert 'name="group" value="video"' in html


def test_group_tabs_count_matches_for_the_current_search(client):
    html = get(client, q="flux").content.decode()

    flux = Endpoint.objects.filter(search_text__contains="flux")
    for group in ("image", "editing", "training"):
        count = flux.filter(group=group).count()
        assert count
        assert re.search(
            rf'id="group-tab-{group}".*?chip__count">'
            rf'<span class="visually-hidden">, </span>{count}<',
            html,
            re.S,
        )
    all_tab = re.search(r'id="group-tab-all".*?</span>(\d+)<', html, re.S)
    assert int(all_tab.group(1)) == flux.count()


def test_search_within_a_group(client):
    ids = card_ids(get(client, q="flux", group="editing").content.decode())
    assert set(ids) == {
        "fal-ai/flux-2/klein/9b/edit",
        "fal-ai/flux-kontext/dev",
        "fal-ai/flux-pro/kontext/max",
    }


def test_no_match_explains_and_offers_to_clear_the_search(client):
    response = get(client, q="xyzzy", group="video")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No Video models match “xyzzy”" in html
    assert re.search(r'href="/models/\?group=video"[^>]*data-clear-search>Clear search', html, re.S)
    assert card_ids(html) == []


def test_no_match_in_a_group_offers_all_groups_when_others_match(client):
    html = get(client, q="kling", group="audio").content.decode()
    assert "Search all groups (2)" in html


def test_an_empty_catalog_explains_how_to_fill_it(client):
    Endpoint.objects.all().delete()

    html = client.get(URL).content.decode()

    assert "The model catalog is empty" in html
    assert "import_schemas --bundled" in html
    assert "sync_catalog" in html


def test_an_empty_group_says_so_and_links_back_to_all(client):
    html = get(client, group="3d").content.decode()
    assert "No 3D models yet" in html
    assert "Show all models" in html


def test_junk_parameters_fall_back_to_defaults(client):
    response = get(client, group="nonsense", page="abc")
    assert response.status_code == 200
    assert len(card_ids(response.content.decode())) == Endpoint.objects.count()
    assert get(client, page="-4").status_code == 200
    assert get(client, q="x" * 500).status_code == 200
    assert get(client, q="100%_\\").status_code == 200


def test_the_catalog_only_answers_reads(client):
    assert client.post(URL).status_code == 405


def test_pagination_shows_more_with_htmx_and_without(client):
    Endpoint.objects.all().delete()
    add_endpoints(PAGE_SIZE * 2 + 10)

    first = client.get(URL).content.decode()
    assert len(card_ids(first)) == PAGE_SIZE
    assert 'href="/models/?page=2"' in first and "data-show-more" in first

    second = client.get(URL, {"page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-grid")
    html = second.content.decode()
    assert card_ids(html)[0] == "bench/model-0060"
    assert len(card_ids(html)) == PAGE_SIZE
    assert 'id="catalog-more" class="catalog__more" hx-swap-oob="true"' in html
    assert 'href="/models/?page=3"' in html
    assert "HX-Push-Url" not in second.headers

    third = client.get(URL, {"page": 3}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-grid")
    assert len(card_ids(third.content.decode())) == 10
    assert "data-show-more" not in third.content.decode()

    # Without JS, the link shows everything up to that page.
    assert len(card_ids(client.get(URL, {"page": 2}).content.decode())) == PAGE_SIZE * 2


def test_search_pages_keep_the_query(client):
    add_endpoints(PAGE_SIZE + 5)
    html = get(client, q="bench").content.decode()
    assert 'href="/models/?q=bench&amp;page=2"' in html


def queries_for(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"q": "model"}, {"group": "image", "q": "0"}])
def test_query_count_does_not_grow_with_the_catalog(client, params, django_assert_max_num_queries):
    add_endpoints(50)
    with_50 = queries_for(client, params)
    add_endpoints(450, prefix="more/model")
    with_500 = queries_for(client, params)

    assert with_50 == with_500
    # 4: one of them asks whether the install has an account yet (the header offers a plain
    # "Sign up" to anonymous visitors until it has, whatever SIGNUP says).
    with django_assert_max_num_queries(4):
        client.get(URL, params)


def test_signed_in_query_count_stays_small(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    add_endpoints(300)
    with django_assert_max_num_queries(5):
        client.get(URL, {"q": "model"})


def test_the_list_never_loads_schemas(client):
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, {"q": "flux"})
    listing = [q["sql"] for q in captured.captured_queries if "catalog_endpoint" in q["sql"]]
    assert listing
    for sql in listing:
        assert "input_schema" not in sql
        assert "output_schema" not in sql
        assert 'search_text"' not in sql.split("WHERE")[0]


def test_slash_focuses_the_search_box(client):
    html = client.get(URL).content.decode()
    assert 'src="/static/js/catalog.js"' in html
    assert 'aria-keyshortcuts="/"' in html
    script = (
        __import__("pathlib").Path(__file__).resolve().parents[2] / "static/js/catalog.js"
    ).read_text()
    assert 'event.key !== "/"' in script
    assert "box.focus()" in script


def test_the_search_box_updates_results_as_you_type(client):
    html = client.get(URL, {"q": "flux"}).content.decode()
    box = re.search(r'<input id="catalog-q".*?>', html, re.S).group(0)
    assert 'value="flux"' in box
    assert 'hx-get="/models/"' in box
    assert 'hx-trigger="input changed delay:200ms, search"' in box
    assert 'hx-target="#catalog-results"' in box
    assert 'hx-push-url="true"' in box


def test_home_dashboard_links_to_the_catalog(client, alice):
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'<a class="btn btn--primary" href="/models/">\s*<svg', html)
    assert "coming soon" not in html


def test_sqlite_search_scans_the_narrow_covering_index_not_the_wide_rows():
    if connection.vendor != "sqlite":
        pytest.skip("the covering index is SQLite-only (Postgres keeps schemas out of line)")
    ranked = Endpoint.objects.search("flux").in_group("image").ranked("flux")
    sql, params = ranked.values_list("id", flat=True).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "COVERING INDEX catalog_endpoint_search_cover" in plan


def test_card_links_are_the_model_page_urls():
    add_endpoint("someone/odd name+chars", "Odd")
    for endpoint_id in Endpoint.objects.values_list("endpoint_id", flat=True):
        assert model_url(endpoint_id) == reverse("catalog:model", args=[endpoint_id])
