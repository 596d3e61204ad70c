"""A person uses the gallery in a real browser: search, reuse parameters, compare two
images with the slider, and a share link opened with no session at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.gallery.conftest import finished, png_bytes
from tests.support import use_media_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def signed_in(page, live_app, live_user, settings):
    """Alice, logged in to the live server; files she makes go to that server's media."""
    use_media_of(live_app, settings)  # the live server's storage
    user = live_user("gallery-alice", "pw-alice-123")
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "gallery-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    return page, live_app.url, user


def with_colour(generation, colour):
    """Its picture replaced, under the same name, on disk or in the bucket alike."""
    from django.core.files.base import ContentFile

    asset = generation.assets.get()
    name = asset.file.name
    asset.file.storage.delete(name)
    assert asset.file.storage.save(name, ContentFile(png_bytes((64, 48), colour))) == name
    return generation


def test_search_the_gallery_as_you_type(signed_in):
    page, base, user = signed_in
    finished(user, "a lighthouse at dusk")
    finished(user, "a fox in the snow")
    finished(user, "a harbour at night", tags=["lighthouse-free"])
    page.goto(f"{base}/")
    page.get_by_role("link", name="Gallery").click()
    cards = page.locator("[data-card]")
    expect(cards).to_have_count(3)
    page.get_by_label("Search prompts, inputs, tags and notes").press_sequentially("dusk", delay=40)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("a lighthouse at dusk")
    expect(page).to_have_url(f"{base}/gallery/?q=dusk")
    page.get_by_label("Search prompts, inputs, tags and notes").fill("zebra")
    expect(page.get_by_text("Nothing matches")).to_be_visible()


def test_reuse_parameters_opens_the_model_form_prefilled(signed_in):
    page, base, user = signed_in
    generation = finished(user, "a lighthouse, reused")
    page.goto(f"{base}{generation.get_absolute_url()}")
    page.get_by_role("link", name="Reuse parameters").click()
    page.wait_for_url(f"**/models/fal-ai/flux/schnell/?from={generation.code}")
    expect(page.locator("textarea[name=prompt]")).to_have_value("a lighthouse, reused")
    expect(page.get_by_role("status").filter(has_text="Filled with")).to_be_visible()


def test_compare_two_images_with_the_slider(signed_in):
    page, base, user = signed_in
    red = with_colour(finished(user, "red version"), (220, 30, 30))
    blue = with_colour(finished(user, "blue version"), (30, 30, 220))
    page.goto(f"{base}/gallery/")
    page.get_by_label("Select: red version").check()
    page.get_by_label("Select: blue version").click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/gallery/compare/**")
    assert str(red.code) in page.url and str(blue.code) in page.url
    stage = page.locator(".g-slider__stage")
    expect(stage).to_be_visible()
    expect(page.locator(".g-diff__differs")).to_have_count(1)  # the prompt
    slider = page.get_by_label("Before/after position (percent of A shown)")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    assert stage.evaluate("el => el.style.getPropertyValue('--pos')") == "70%"
    box = stage.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    assert slider.input_value() == "25"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gallery-compare.png"), full_page=True)


def test_a_share_link_opens_in_a_fresh_browser_with_no_session(signed_in, browser):
    page, base, user = signed_in
    generation = finished(user, "shared lighthouse", notes="private note")
    page.goto(f"{base}{generation.get_absolute_url()}")
    page.get_by_label("Who can see it").select_option("link")
    page.locator(".g-sharing").get_by_role("button", name="Save").click()
    link = page.get_by_label("Share link")
    link.wait_for()
    url = link.input_value()
    assert url.startswith(f"{base}/s/")

    stranger = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        visit = stranger.new_page()
        visit.goto(url)
        expect(visit.get_by_role("heading", name="FLUX.1 [schnell]")).to_be_visible()
        visit.wait_for_function(
            "() => { const img = document.querySelector('.gen-asset img');"
            " return img && img.complete && img.naturalWidth > 0; }"
        )
        og = visit.locator('meta[property="og:image"]').get_attribute("content")
        assert og.startswith(f"{base}/s/") and og.endswith(".png")
        assert "private note" not in visit.content()
        expect(visit.get_by_role("link", name="Log in")).to_be_visible()  # no session
        visit.screenshot(path=str(ARTIFACTS / "gallery-share.png"), full_page=True)

        page.locator(".g-sharing").get_by_role("button", name="Revoke link").click()
        expect(page.get_by_label("Share link")).to_have_count(0)
        assert visit.goto(url).status == 404
    finally:
        stranger.close()
