"""What a person sees on a phone and on a desktop: no page wider than the screen, a menu
button for the main links, readable favourite stars, one frame for the compare slider,
accessible names that match the labels, names that never break mid-word, a lightbox that
zooms and pans, and one labelled download per file.

Every page check measures the rendered elements (nothing wider than the viewport) and
leaves a screenshot in test-artifacts/ for a person to look at."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from playground.accounts.models import Membership, Role, Team
from playground.gallery.exports import download_name
from tests.gallery.conftest import finished
from tests.support import use_media_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "pw-layout-12345"
LONG_PROMPT = (
    "A weathered lighthouse on a basalt cliff at dusk, waves crashing below, warm light in "
    "the lantern room, seagulls, cinematic, 35mm"
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# What sticks out past the right (or left) edge of the screen. An element inside a box that
# scrolls or clips sideways is that box's business, unless it escapes it (an absolutely
# positioned child of an unpositioned scroller still widens the page: scrollWidth says so).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clippedByAncestor = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (/(auto|hidden|scroll|clip)/.test(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (box.right <= width + 1 && box.left >= -1) continue;
    // Not drawn (a closed <details> keeps its content's boxes), or clipped by a scroller.
    if (!el.checkVisibility({visibilityProperty: true}) || clippedByAncestor(el)) continue;
    const name = el.tagName.toLowerCase() + [...el.classList].map((c) => "." + c).join("");
    out.push(`${name} [${Math.round(box.left)}..${Math.round(box.right)}]`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 12)};
}"""

# Buttons, links and fields whose accessible name (aria-label) does not contain the words
# they show (WCAG 2.5.3, label in name). Icons and aria-hidden marks are not words.
LABEL_IN_NAME = r"""() => {
  const norm = (s) => s.replace(/\s+/g, " ").trim().toLowerCase();
  const shownText = (el) => {
    let text = "";
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.getAttribute("aria-hidden") === "true") continue;
        if (/^(SELECT|TEXTAREA|INPUT)$/.test(node.tagName)) continue;
        if (node.classList.contains("visually-hidden")) continue;
        const style = getComputedStyle(node);
        if (style.display === "none" || style.visibility === "hidden") continue;
        text += " " + shownText(node) + " ";
      }
    }
    return text;
  };
  const contains = (name, shown) => {
    const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp("(^|\\W)" + escaped + "(\\W|$)").test(name);
  };
  const visible = (el) => { const b = el.getBoundingClientRect(); return b.width && b.height; };
  const bad = [];
  const check = (el, shown) => {
    shown = norm(shown);
    const name = norm(el.getAttribute("aria-label"));
    if (/[a-z0-9]/.test(shown) && !contains(name, shown)) {
      bad.push(`${el.tagName.toLowerCase()} shows "${shown}" but is named "${name}"`);
    }
  };
  const controls = "a, button, summary, [role=button], [role=tab], [role=switch]";
  for (const el of document.querySelectorAll(`:is(${controls})[aria-label]`)) {
    if (visible(el)) check(el, shownText(el));
  }
  for (const el of document.querySelectorAll(":is(input, select, textarea)[aria-label]")) {
    if (!visible(el)) continue;
    for (const label of el.labels || []) {
      if (!visible(label) || label.classList.contains("visually-hidden")) continue;
      check(el, shownText(label));
    }
  }
  return bad;
}"""

# Words (split at spaces, and after underscores where names may wrap) that sit on two lines.
BROKEN_WORDS = r"""(selector) => {
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (const m of node.textContent.matchAll(/[^\s_]+_?/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width);
        const lines = new Set(rects.map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""

CONTRAST = """(el) => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const style = getComputedStyle(el);
  const fg = rgba(style.color), bg = rgba(style.backgroundColor);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return {ratio: (hi + 0.05) / (lo + 0.05), fgAlpha: fg[3] ?? 1, bgAlpha: bg[3] ?? 1,
          opacity: Number(style.opacity)};
}"""


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def with_picture(generation, size, colour=(200, 60, 60)):
    """Give the generation's stored image the size asked for (file and recorded size)."""
    asset = generation.assets.get()
    asset.file.save(asset.file.name.rsplit("/", 1)[-1], ContentFile(png(size, colour)), save=False)
    asset.width, asset.height = size
    asset.save()
    return generation


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/")


@pytest.fixture
def studio(page, live_app, live_user, settings):
    """Mia, staff, owner of team Studio, with finished generations (one a favourite, one
    posted to the team), signed in on the live server."""
    use_media_of(live_app, settings)  # the live server's storage
    user = live_user("mia", PASSWORD)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=user, team=team, role=Role.OWNER)
    first = with_picture(finished(user, LONG_PROMPT, favorite=True), (1024, 768))
    second = with_picture(
        finished(user, "a fox in the snow", team=team), (768, 1024), (40, 60, 200)
    )
    sign_in(page, live_app.url, "mia")
    ARTIFACTS.mkdir(exist_ok=True)
    return {"page": page, "base": live_app.url, "user": user, "team": team, "gens": [first, second]}


def assert_fits(page, name: str) -> None:
    """Nothing on the page is wider than the screen; a screenshot is kept for a person."""
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"), full_page=True)
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["width"], f"{name}: page is {found}"
    assert found["out"] == [], f"{name}: wider than the screen: {found['out']}"


def open_code_tab(page, base: str, endpoint_id: str = "fal-ai/flux/schnell") -> None:
    page.goto(f"{base}/models/{endpoint_id}/")
    page.get_by_role("textbox", name="Prompt", exact=True).fill(LONG_PROMPT)
    page.get_by_role("tab", name="cURL").click()
    expect(page.get_by_role("tabpanel", name="cURL")).to_contain_text("basalt cliff at dusk")


def test_every_main_page_fits_a_phone_screen(studio, browser):
    page, base = studio["page"], studio["base"]
    first, second = studio["gens"]
    page.set_viewport_size(PHONE)
    pages = {
        "home": "/",
        "catalog": "/models/",
        "gallery": "/gallery/",
        "detail": first.get_absolute_url(),
        "compare": f"/gallery/compare/?g={first.code}&g={second.code}",
        "teams": "/teams/",
        "team": "/teams/studio/",
        "team-gallery": "/teams/studio/gallery/",
        "fal-keys": "/accounts/keys/",
        "invitations": "/accounts/invitations/",
        "password": "/accounts/password/",
        "realtime": "/models/fal-ai/fast-lcm-diffusion/realtime",
    }
    for name, path in pages.items():
        page.goto(f"{base}{path}")
        assert_fits(page, f"phone-{name}")

    open_code_tab(page, base)
    page.locator("[data-advanced] summary").click()  # every field of the form shown
    assert_fits(page, "phone-model-code-tab")

    visitor = browser.new_context(viewport=PHONE)
    try:
        stranger = visitor.new_page()
        for name, path in {"visitor-home": "/", "visitor-login": "/accounts/login/"}.items():
            stranger.goto(f"{base}{path}")
            assert_fits(stranger, f"phone-{name}")
    finally:
        visitor.close()


def test_in_dark_mode_the_phone_pages_fit_too(studio, browser):
    base, first = studio["base"], studio["gens"][0]
    context = browser.new_context(viewport=PHONE, color_scheme="dark")
    try:
        page = context.new_page()
        sign_in(page, base, "mia")
        for name, path in {"gallery": "/gallery/", "detail": first.get_absolute_url()}.items():
            page.goto(f"{base}{path}")
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
                "rgb(13, 13, 18)"
            )
            assert_fits(page, f"phone-dark-{name}")
    finally:
        context.close()


def test_the_model_form_has_every_control_on_a_phone_screen(studio):
    page, base = studio["page"], studio["base"]
    page.set_viewport_size(PHONE)
    for endpoint_id in ("fal-ai/flux/dev", "fal-ai/omnigen-v2", "fal-ai/clarity-upscaler"):
        page.goto(f"{base}/models/{endpoint_id}/")
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        assert_fits(page, "phone-form-" + endpoint_id.replace("/", "-"))
        run = page.locator("[data-run]").bounding_box()
        assert run["x"] >= 0 and run["x"] + run["width"] <= PHONE["width"]


def test_the_menu_button_opens_the_main_links_on_a_phone(studio):
    page, base = studio["page"], studio["base"]
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/")
    menu = page.get_by_role("button", name="Menu")
    main = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(main.get_by_role("link", name="Gallery")).to_be_hidden()
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] <= 62  # one row: nothing wrapped

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(main.get_by_role("link", name="Gallery")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-phone-menu-open.png"))
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(main.get_by_role("link", name="Gallery")).to_be_hidden()
    expect(menu).to_be_focused()

    page.keyboard.press("Enter")  # the keyboard opens it too, and Tab walks into the links
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(main.get_by_role("link", name="Models")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/models/")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")

    page.set_viewport_size(DESKTOP)  # wide: no button, the links always there
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(main.get_by_role("link", name="Gallery")).to_be_visible()


def test_a_long_username_never_pushes_the_bar_onto_two_rows(page, live_app, live_user):
    live_user("alexandra.montgomery-whitfield", PASSWORD)
    sign_in(page, live_app.url, "alexandra.montgomery-whitfield")
    for width in (390, 700, 780, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        boxes = page.evaluate(
            "() => [...document.querySelectorAll('.topbar__inner > *')]"
            ".filter((el) => el.getBoundingClientRect().width"
            " && getComputedStyle(el).position !== 'absolute')"
            ".map((el) => { const b = el.getBoundingClientRect();"
            " return [b.left, b.right, b.top, b.bottom]; })"
        )
        bar = page.locator(".topbar__inner").bounding_box()
        for _, _, top, bottom in boxes:  # one row: every item inside the bar's height
            assert top >= bar["y"] - 1 and bottom <= bar["y"] + bar["height"] + 1, boxes
        for left_box, right_box in itertools.pairwise(boxes):
            assert left_box[1] <= right_box[0] + 1, f"at {width}px the bar's items overlap: {boxes}"
        assert_fits(page, f"bar-{width}")


def test_a_long_prompt_in_the_code_tab_stays_in_its_box(page, live_app_with_runner, live_user):
    live_user("coder", PASSWORD)
    base = live_app_with_runner.url
    sign_in(page, base, "coder")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/models/fal-ai/flux/schnell/")
    page.get_by_role("textbox", name="Prompt", exact=True).fill(LONG_PROMPT)
    page.locator("[data-run]").click()
    page.wait_for_function(
        "() => { const img = document.querySelector('#run-panel .gen-asset img');"
        " return img && img.complete && img.naturalWidth > 0; }",
        timeout=30_000,
    )
    page.get_by_role("tab", name="cURL").click()
    code = page.get_by_role("tabpanel", name="cURL").locator("pre")
    expect(code).to_contain_text("basalt cliff at dusk")
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        assert_fits(page, f"{name}-model-result-and-code")
        request = page.locator(".request-panel").bounding_box()
        result = page.locator(".run-panel").bounding_box()
        image = page.locator("#run-panel .gen-asset img").bounding_box()
        pre = code.bounding_box()
        assert pre["x"] + pre["width"] <= request["x"] + request["width"]
        assert image["x"] + image["width"] <= result["x"] + result["width"]
        assert request["width"] == pytest.approx(result["width"], abs=2)  # one column
        # The long line wraps inside the box rather than scrolling out of sight.
        assert code.evaluate("el => el.scrollWidth <= el.clientWidth")


def test_a_prompt_with_a_long_unbroken_word_keeps_the_form_on_a_phone_screen(studio):
    page, base = studio["page"], studio["base"]
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/models/fal-ai/flux/schnell/")
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    prompt.fill("in the style of https://example.com/" + "a" * 120)  # a pasted address

    assert_fits(page, "phone-model-form-with-a-long-word")
    box = prompt.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]


def test_the_favourite_star_is_readable_in_light_and_dark(studio, browser):
    base, first = studio["base"], studio["gens"][0]
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
        try:
            page = context.new_page()
            sign_in(page, base, "mia")
            page.goto(f"{base}/gallery/")
            cards = page.locator("[data-card]")
            on = cards.filter(has_text="basalt cliff").get_by_role("button", name="Favorite")
            off = cards.filter(has_text="a fox in the snow").get_by_role("button", name="Favorite")
            expect(on).to_have_attribute("aria-pressed", "true")
            expect(off).to_have_attribute("aria-pressed", "false")
            off.hover()  # the empty star shows on hover
            expect(off).to_have_css("opacity", "1")
            for star in (on, off):
                seen = star.evaluate(CONTRAST)
                assert seen["bgAlpha"] == 1 and seen["fgAlpha"] == 1, seen  # nothing shows through
                assert seen["ratio"] >= 4.5, f"{scheme}: {seen}"
            page.goto(f"{base}{first.get_absolute_url()}")
            button = page.get_by_role("button", name="Favorite", exact=True)
            assert button.evaluate(CONTRAST)["ratio"] >= 4.5
            page.locator(".g-grid, .g-actions").first.screenshot(
                path=str(ARTIFACTS / f"layout-favourite-{scheme}.png")
            )
        finally:
            context.close()


def test_the_compare_slider_fits_both_pictures_into_one_frame(studio):
    page, base, user = studio["page"], studio["base"], studio["user"]
    wide = with_picture(finished(user, "wide"), (1600, 600))
    tall = with_picture(finished(user, "tall"), (400, 900), (40, 60, 200))
    small = with_picture(finished(user, "small square"), (256, 256), (30, 150, 60))
    big = with_picture(finished(user, "big square"), (1024, 1024), (150, 60, 150))
    frame = """() => {
      const stage = document.querySelector('.g-slider__stage').getBoundingClientRect();
      const pictures = [...document.querySelectorAll('.g-slider__stage img')].map((img) => {
        const box = img.getBoundingClientRect();
        const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
        return {box: [box.left, box.top, box.width, box.height],
                shown: [img.naturalWidth * scale, img.naturalHeight * scale],
                fit: getComputedStyle(img).objectFit, loaded: img.complete && img.naturalWidth > 0};
      });
      return {stage: [stage.left, stage.top, stage.width, stage.height], pictures};
    }"""
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for a, b, ratio in ((wide, tall, 1600 / 600), (small, big, 1.0)):
            page.goto(f"{base}/gallery/compare/?g={a.code}&g={b.code}")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.g-slider__stage img')]"
                ".every((img) => img.complete && img.naturalWidth > 0)"
            )
            seen = page.evaluate(frame)
            x, _, width, height = seen["stage"]
            assert width / height == pytest.approx(ratio, rel=0.02)  # the wider one's shape
            assert x >= 0 and x + width <= viewport["width"]
            for picture in seen["pictures"]:
                assert picture["fit"] == "contain"
                assert picture["box"] == pytest.approx(seen["stage"], abs=1)  # one frame
                assert picture["shown"][0] <= width + 1 and picture["shown"][1] <= height + 1
            if ratio == 1.0:  # same shape, different sizes: they cover each other exactly
                assert seen["pictures"][0]["shown"] == pytest.approx(
                    seen["pictures"][1]["shown"], abs=1
                )
            page.locator(".g-slider").screenshot(
                path=str(ARTIFACTS / f"layout-compare-{viewport['width']}-{ratio:.1f}.png")
            )


def test_accessible_names_contain_the_visible_labels(studio):
    page, base, first = studio["page"], studio["base"], studio["gens"][0]
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for path in (
            "/",
            "/models/",
            "/models/fal-ai/flux/dev/",
            "/models/fal-ai/flux-kontext/dev/",
            "/gallery/",
            first.get_absolute_url(),
            "/teams/studio/",
            "/accounts/keys/",
        ):
            page.goto(f"{base}{path}")
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            assert page.evaluate(LABEL_IN_NAME) == [], f"{path} at {viewport['width']}px"
    page.goto(f"{base}{first.get_absolute_url()}")
    expect(page.get_by_role("button", name="Favorite", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


def test_parameter_names_never_break_mid_word(studio):
    page, base, first = studio["page"], studio["base"], studio["gens"][0]
    first.input = {**first.input, "num_inference_steps": 4, "enable_safety_checker": True}
    first.save(update_fields=["input"])
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(f"{base}{first.get_absolute_url()}")
    names = page.locator(".g-params dt")
    expect(names.filter(has_text="num_inference_steps")).to_have_count(1)
    assert page.evaluate(BROKEN_WORDS, ".g-params dt") == []
    page.locator(".g-params").screenshot(path=str(ARTIFACTS / "layout-parameter-names.png"))
    page.goto(f"{base}/models/fal-ai/flux/dev/")
    page.locator("[data-advanced] summary").click()
    assert page.evaluate(BROKEN_WORDS, ".field__label, legend") == []


def test_the_lightbox_zooms_pans_and_closes(studio):
    page, base, first = studio["page"], studio["base"], studio["gens"][0]
    page.goto(f"{base}{first.get_absolute_url()}")
    opener = page.get_by_role("link", name="Open image 1 full size")
    opener.click()
    viewer = page.get_by_role("dialog", name="Image viewer")
    expect(viewer).to_be_visible()
    backdrop = viewer.evaluate("el => getComputedStyle(el, '::backdrop').backgroundColor")
    assert float(re.findall(r"[\d.]+", backdrop)[3]) >= 0.9, backdrop  # nearly black
    image = viewer.locator("img")
    zoom = viewer.locator(".lightbox__zoom")
    expect(zoom).to_have_text("100%")
    # Measured once the picture has its size: before, the pointer would miss it.
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=image.element_handle())

    def view():
        return image.evaluate(
            "el => { const m = new DOMMatrix(getComputedStyle(el).transform);"
            " return [m.a, m.e, m.f]; }"
        )

    box = image.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -500)
    expect(zoom).not_to_have_text("100%")
    scale, x, _ = view()
    assert scale > 1.5 and x < 0  # zoomed in around the pointer, right of centre

    centre = (DESKTOP["width"] / 2, DESKTOP["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.down()
    page.mouse.move(centre[0] + 120, centre[1], steps=4)
    page.mouse.up()
    assert view()[1] == pytest.approx(x + 120, abs=2)  # dragged right
    expect(viewer).to_be_visible()  # a drag is not a click that closes

    page.keyboard.press("0")
    assert view() == [1, 0, 0]
    page.keyboard.press("+")
    page.keyboard.press("+")
    expect(zoom).to_have_text("156%")
    page.keyboard.press("ArrowRight")
    assert view()[1] < 0  # the arrow shows more of the right side
    page.keyboard.press("-")
    expect(zoom).to_have_text("125%")

    page.keyboard.press("0")  # a two-finger pinch, as a touch screen sends it
    image.evaluate(
        """el => {
          const stage = el.parentElement;
          const send = (type, id, x) => stage.dispatchEvent(new PointerEvent(type,
            {pointerId: id, clientX: x, clientY: 400, bubbles: true, pointerType: "touch"}));
          send("pointerdown", 11, 600); send("pointerdown", 12, 680);
          send("pointermove", 11, 500); send("pointermove", 12, 780);
          send("pointerup", 11, 500); send("pointerup", 12, 780);
        }"""
    )
    assert view()[0] == pytest.approx(3.5, abs=0.05)  # fingers 80 px apart, then 280
    page.screenshot(path=str(ARTIFACTS / "layout-lightbox-zoomed.png"))

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(opener).to_be_focused()


def test_each_file_has_one_labelled_download(studio):
    page, base, first = studio["page"], studio["base"], studio["gens"][0]
    page.goto(f"{base}{first.get_absolute_url()}")
    asset = first.assets.get()
    name = download_name(first, asset)  # what "Save as" offers: flux-schnell_a-weathered...
    downloads = page.locator(f'a[href^="{asset.file.url}"][download]')
    expect(downloads).to_have_count(1)
    expect(downloads).to_have_text(f"Download {name}")
    assert downloads.get_attribute("href").endswith("?download=1")  # PNG with parameters
    expect(page.get_by_role("link", name="Download metadata (JSON)")).to_be_visible()
    expect(page.get_by_text("Download", exact=True)).to_have_count(0)  # no unlabelled ones
