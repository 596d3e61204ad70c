"""A person draws on the realtime page and watches the model answer stroke by stroke."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from playground.jobs.models import Generation, Status

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LCM = "fal-ai/lcm-sd15-i2i"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The output's pixels, reduced to a short fingerprint (the <img> is drawn onto a canvas).
FINGERPRINT = """() => {
  const img = document.querySelector('[data-output]');
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = 32; c.height = 32;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0, 32, 32);
  return Array.from(g.getImageData(0, 0, 32, 32).data).join(',');
}"""


@pytest.fixture
def signed_in(page, live_app, live_user):
    live_user("rt-maya", "pw-maya-12345")
    page.goto(f"{live_app.url}/accounts/login/")
    page.fill("#id_username", "rt-maya")
    page.fill("#id_password", "pw-maya-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app.url}/")
    ARTIFACTS.mkdir(exist_ok=True)
    return page


def frames_received(page) -> list:
    received: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: received.append(data)))
    return received


def wait_for_new_output(page, old: str | None) -> str:
    page.wait_for_function(
        f"(old) => {{ const f = ({FINGERPRINT})(); return f && f !== old; }}", arg=old
    )
    return page.evaluate(FINGERPRINT)


def draw(page, points: list[tuple[float, float]]) -> None:
    box = page.locator("[data-canvas]").bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0] * box["width"], y0 + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x * box["width"], y0 + y * box["height"], steps=4)
    page.mouse.up()


def test_drawing_changes_the_output_live_and_save_frame_keeps_it(signed_in, live_app):
    page = signed_in
    received = frames_received(page)
    page.goto(f"{live_app.url}/models/{LCM}/")
    page.get_by_role("link", name="Open realtime playground").click()
    expect(page).to_have_url(f"{live_app.url}/models/{LCM}/realtime")

    # The starter picture is sent at once: an output arrives before any stroke.
    first = wait_for_new_output(page, None)
    expect(page.locator("[data-conn]")).to_have_attribute("data-state", "live")

    page.get_by_label("Blue").check(force=True)
    draw(page, [(0.1, 0.1), (0.9, 0.2), (0.2, 0.8), (0.85, 0.9)])
    after_stroke = wait_for_new_output(page, first)
    assert after_stroke != first
    expect(page.locator("[data-fps]")).to_have_text(re.compile(r"^\d+(\.\d)?$"))

    page.get_by_role("button", name="Clear").click()
    cleared = wait_for_new_output(page, after_stroke)
    assert cleared not in (first, after_stroke)

    # A new prompt re-renders the same drawing differently.
    page.fill("textarea[name=prompt]", "a neon city at night")
    wait_for_new_output(page, cleared)
    expect(page.locator("[data-rtt]")).to_have_text(re.compile(r"^\d+ ms$"))
    page.screenshot(path=str(ARTIFACTS / "realtime-drawing.png"), full_page=True)

    page.get_by_role("button", name="Save frame").click()
    saved = page.locator("[data-saved]")
    expect(saved).to_contain_text("Saved")
    generation = Generation.objects.get(owner__username="rt-maya")
    assert generation.status == Status.COMPLETED and generation.mode == "realtime"
    assert generation.input["prompt"] == "a neon city at night"
    assert generation.assets.count() == 2
    saved.get_by_role("link", name="Open the generation").click()
    expect(page).to_have_url(f"{live_app.url}/generations/{generation.code}/")
    expect(page.locator(".gen-asset img").first).to_be_visible()

    assert any(isinstance(frame, bytes) for frame in received), "results come as binary"
    assert all(b"fal_jwt_token" not in _raw(frame) for frame in received)


def test_an_invalid_setting_is_shown_and_fixing_it_resumes(signed_in, live_app):
    page = signed_in
    page.goto(f"{live_app.url}/models/{LCM}/realtime")
    first = wait_for_new_output(page, None)
    page.fill("textarea[name=prompt]", "")
    expect(page.locator("[data-error]")).to_contain_text("Fix the highlighted settings")
    page.fill("textarea[name=prompt]", "a watercolour harbour")
    expect(page.locator("[data-error]")).to_be_hidden()
    wait_for_new_output(page, first)


def _raw(frame) -> bytes:
    return frame if isinstance(frame, bytes) else frame.encode()
