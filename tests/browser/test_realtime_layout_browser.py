"""D24: on the realtime page the prompt stays in view beside (or right under) the canvas
while one draws, on a desktop and on a phone, and nothing is wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LCM = "fal-ai/lcm-sd15-i2i"

IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;
}"""


@pytest.fixture
def signed_in(page, live_app, live_user):
    live_user("rt-layout", "pw-layout-12345")
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "rt-layout")
    page.fill("#id_password", "pw-layout-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    ARTIFACTS.mkdir(exist_ok=True)
    return page


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 800), ("phone", 390, 844)])
def test_the_prompt_stays_beside_the_canvas_while_drawing(signed_in, live_app, name, width, height):
    page = signed_in
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_app.url}/models/{LCM}/realtime")
    # Scrolled once to the workspace (on a phone the page header comes first)...
    page.locator(".rt-layout").evaluate("e => e.scrollIntoView({block: 'start'})")
    canvas = page.locator("[data-canvas]")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 10, box["y"] + box["height"] - 10, steps=6)
    page.mouse.up()

    page.screenshot(path=str(ARTIFACTS / f"realtime-layout-{name}.png"))
    # ...canvas, output and prompt are all in view at once: no scrolling between them.
    assert page.evaluate(IN_VIEW, "[data-canvas]")
    assert page.evaluate(IN_VIEW, "[data-output-empty], [data-output]:not([hidden])")
    assert page.evaluate(IN_VIEW, "textarea[name=prompt]")
    prompt = page.locator("textarea[name=prompt]")
    prompt.fill("a lighthouse in a storm")  # usable without a scroll
    expect(prompt).to_have_value("a lighthouse in a storm")
    assert page.evaluate(IN_VIEW, "[data-canvas]")

    sticking_out = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.checkVisibility() && e.getBoundingClientRect().right > innerWidth + 0.5)"
        ".map(e => `${e.tagName}.${e.className}`)"
    )
    assert sticking_out == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(ARTIFACTS / f"realtime-layout-{name}.png"))
