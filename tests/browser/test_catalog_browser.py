"""A person browses the model catalog in a real browser: search as you type, groups, cards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from playground.catalog.categories import group_for
from playground.catalog.importer import search_text_for
from playground.catalog.models import Endpoint

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SMALL_SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}}

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def search_box(page):
    return page.get_by_role("searchbox", name="Search models")


def test_typing_narrows_the_results_without_a_page_reload(live_app, page):
    flux = Endpoint.objects.search("flux")
    page.goto(f"{live_app.url}/models/")
    cards = page.locator(".model-card")
    expect(cards).to_have_count(Endpoint.objects.count())
    page.evaluate("window.stillTheSamePage = true")

    search_box(page).press_sequentially("flux", delay=30)

    expect(cards).to_have_count(flux.count())
    expect(page).to_have_url(f"{live_app.url}/models/?q=flux")
    expect(page.get_by_role("status").filter(has_text="match")).to_have_text(
        f"{flux.count()} models match “flux”"
    )
    expect(search_box(page)).to_be_focused()
    assert page.evaluate("window.stillTheSamePage") is True
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "catalog-search.png", full_page=True)

    page.get_by_role("navigation", name="Model groups").get_by_role(
        "link", name=re.compile(r"^Editing")
    ).click()

    expect(page).to_have_url(f"{live_app.url}/models/?q=flux&group=editing")
    expect(cards).to_have_count(flux.filter(group="editing").count())
    expect(page.locator("#group-tab-editing")).to_have_attribute("aria-current", "page")
    assert page.evaluate("window.stillTheSamePage") is True

    # The model page may ask a visitor to log in first; the card leads there either way.
    model_url = f"{live_app.url}/models/fal-ai/flux-kontext/dev/"
    with page.expect_request(model_url):
        page.get_by_role("link", name="FLUX.1 Kontext [dev]").click()
    expect(page).to_have_url(
        re.compile(r"/models/fal-ai/flux-kontext/dev/$|next=/models/fal-ai/flux-kontext/dev/$")
    )


def test_slash_focuses_the_search_and_back_restores_the_query(live_app, page):
    page.goto(f"{live_app.url}/models/")
    page.locator("body").press("/")
    expect(search_box(page)).to_be_focused()

    page.keyboard.type("kling")
    expect(page.locator(".model-card")).to_have_count(2)
    page.get_by_role("link", name=re.compile(r"^Video")).click()
    expect(page).to_have_url(f"{live_app.url}/models/?q=kling&group=video")

    page.go_back()
    expect(page).to_have_url(f"{live_app.url}/models/?q=kling")
    expect(search_box(page)).to_have_value("kling")


def test_no_match_offers_to_clear_the_search(live_app, page):
    page.goto(f"{live_app.url}/models/?q=xyzzy")
    expect(page.get_by_role("heading", name="No models match “xyzzy”")).to_be_visible()

    page.get_by_role("link", name="Clear search").click()

    expect(search_box(page)).to_have_value("")
    expect(page.locator(".model-card")).to_have_count(Endpoint.objects.count())
    expect(page).to_have_url(f"{live_app.url}/models/")


def test_show_more_appends_cards_and_moves_focus_to_the_first_new_one(live_app, page):
    Endpoint.objects.bulk_create(
        Endpoint(
            endpoint_id=f"bench/model-{n:03d}",
            title=f"Model {n:03d}",
            category="text-to-image",
            group=group_for(f"bench/model-{n:03d}", "text-to-image"),
            search_text=search_text_for(f"bench/model-{n:03d}", f"Model {n:03d}", "", "", "image"),
            input_schema=SMALL_SCHEMA,
            output_schema=SMALL_SCHEMA,
            schema_sha="0" * 64,
            modes=["queue", "run"],
        )
        for n in range(100)
    )
    total = Endpoint.objects.count()
    page.goto(f"{live_app.url}/models/")
    cards = page.locator(".model-card")
    expect(cards).to_have_count(60)

    page.get_by_role("link", name="Show more models").click()

    expect(cards).to_have_count(120)
    expect(page.locator("#catalog-grid > li").nth(60).locator("a")).to_be_focused()
    page.get_by_role("link", name="Show more models").click()
    expect(cards).to_have_count(total)
    expect(page.get_by_role("link", name="Show more models")).to_have_count(0)


def test_cards_carry_real_titles_search_knows_speech_words_and_forgives_typos(live_app, page):
    page.goto(f"{live_app.url}/models/")
    expect(page.get_by_role("link", name="FLUX.1 [schnell]")).to_be_visible()
    schnell = "The fastest FLUX: text to image in one to four steps."
    expect(page.get_by_text(schnell)).to_be_visible()
    groups = page.get_by_role("navigation", name="Model groups")
    expect(groups.get_by_role("link", name=re.compile(r"^Speech"))).to_be_visible()
    expect(groups.get_by_role("link", name=re.compile(r"^3D"))).to_have_count(0)

    search_box(page).fill("text to speech")
    speech = Endpoint.objects.filter(group="speech")
    expect(page.locator(".model-card[data-group='speech']")).to_have_count(speech.count())

    search_box(page).fill("fluxx")
    expect(page.locator("[data-corrected]")).to_have_text("flux")
    expect(page.get_by_role("link", name="FLUX.1 [dev]")).to_be_visible()
    expect(page.locator("#catalog-announce")).to_contain_text("for “flux”")
