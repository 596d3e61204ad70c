"""Moving media between models as a person does: "Send to…" from a result, dropping an
earlier output on a file field, and painting a mask over the chosen picture."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from playground.jobs.models import Generation, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LCM = "fal-ai/lcm-sd15-i2i"
UPSCALER = "fal-ai/clarity-upscaler"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OWN_FILE = re.compile(r"^/media/generations/[0-9a-f-]{36}/[^/]+$")


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    user = live_user("media-maya", "pw-maya-12345")
    base = live_app_with_runner.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "media-maya")
    page.fill("#id_password", "pw-maya-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    ARTIFACTS.mkdir(exist_ok=True)
    return page, base, user


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.png"
    image = Image.new("RGB", (96, 64), "#3a6ea5")
    image.paste((240, 200, 60), (10, 10, 40, 40))
    image.save(path)
    return path


def choose_picture(page, path, field: str = "image_url") -> None:
    zone = page.locator(f"[data-field='{field}']")
    zone.locator("[data-file-input]").set_input_files(str(path))
    expect(zone.locator("img[data-preview-media]")).to_be_visible(timeout=15_000)


def run_and_wait(page) -> None:
    page.locator("[data-run]").click()
    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=40_000)
    page.wait_for_function(
        "() => { const img = document.querySelector('#run-panel .gen-asset img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )


def test_send_an_output_to_another_model_then_drop_its_output_on_a_field(signed_in, picture):
    page, base, user = signed_in
    page.goto(f"{base}/models/{LCM}/")
    choose_picture(page, picture)
    page.fill("textarea[name=prompt]", "a harbour in watercolour")
    run_and_wait(page)
    # An edit shows its input first (D32), then the output.
    assert_input_then_output(page, "#run-panel")

    # Send to… lists the models that take an image; one opens with the output in its field.
    page.locator("#run-panel .send-to summary").first.click()
    upscaler = page.locator(f"#run-panel a[data-send-to-item][href*='{UPSCALER}']").first
    expect(upscaler).to_be_visible()
    # Typing filters the list (focus is already in the filter).
    expect(page.locator("#run-panel [data-send-to-filter]")).to_be_focused()
    page.keyboard.type("upscal")
    items = page.locator("#run-panel li:has(> a[data-send-to-item]):visible")
    expect(items).not_to_have_count(0)
    assert all("upscal" in text.lower() for text in items.all_inner_texts())
    expect(page.locator(f"#run-panel a[data-send-to-item][href*='/{LCM}/']")).to_be_hidden()
    expect(upscaler).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "send-to-menu.png"))
    upscaler.click()
    expect(page).to_have_url(re.compile(rf"/models/{UPSCALER}/\?send=image_url"))
    sent = page.locator("[data-field='image_url'] [data-file-url]")
    expect(sent).to_have_value(OWN_FILE)
    expect(page.locator("[data-field='image_url'] img[data-preview-media]")).to_be_visible()
    expect(page.locator(".g-prefill")).to_contain_text("the file you sent here")

    # Our own file is handed on to the model as a URL it can fetch: the run completes.
    run_and_wait(page)
    upscaled = Generation.objects.filter(owner=user, endpoint_id=UPSCALER).get()
    assert upscaled.status == Status.COMPLETED, upscaled.error
    assert OWN_FILE.match(upscaled.input["image_url"])

    # Dragging that result onto the file field puts its address there (no upload).
    page.locator("[data-field='image_url'] [data-file-url]").fill("")
    page.evaluate(
        """() => {
          const img = document.querySelector('#run-panel .gen-asset img');
          const zone = document.querySelector("[data-field='image_url'] [data-dropzone]");
          const data = new DataTransfer();
          data.setData('text/uri-list', img.src);
          data.setData('text/html', img.outerHTML);
          for (const type of ['dragenter', 'dragover', 'drop']) {
            const init = {dataTransfer: data, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent(type, init));
          }
        }"""
    )
    dropped = page.locator("[data-field='image_url'] [data-file-url]")
    expect(dropped).to_have_value(OWN_FILE)
    result_src = page.locator("#run-panel .gen-asset img").first.get_attribute("src")
    assert dropped.input_value() == result_src
    expect(page.locator("[data-field='image_url'] img[data-preview-media]")).to_be_visible()


def test_edits_show_their_input_on_the_page_and_the_gallery_card(signed_in, picture):
    page, base, user = signed_in
    page.goto(f"{base}/models/{LCM}/")
    choose_picture(page, picture)
    page.fill("textarea[name=prompt]", "a harbour at night")
    run_and_wait(page)
    assert_input_then_output(page, "#run-panel")
    edit = Generation.objects.get(owner=user, endpoint_id=LCM)

    page.goto(f"{base}/generations/{edit.code}/")
    assert_input_then_output(page, ".gen-result")
    page.goto(f"{base}/gallery/")
    inset = page.locator(f"[data-code='{edit.code}'] img.g-card__input")
    expect(inset).to_be_visible()
    assert inset.evaluate("img => img.complete && img.naturalWidth") == 96


def assert_input_then_output(page, scope: str) -> None:
    thumb = page.locator(f"{scope} .gen-inputs img")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "(s) => { const img = document.querySelector(s + ' .gen-inputs img');"
        " return img && img.complete && img.naturalWidth === 96; }",
        arg=scope,
    )
    above = page.evaluate(
        "(s) => document.querySelector(s + ' .gen-inputs').getBoundingClientRect().bottom"
        " <= document.querySelector(s + ' .gen-media').getBoundingClientRect().top",
        scope,
    )
    assert above, "the input comes before the output"


def test_paint_a_mask_over_the_chosen_picture_and_upload_it(signed_in, picture):
    page, base, _ = signed_in
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/models/{LCM}/")
    paint = page.get_by_role("button", name="Paint mask")
    expect(paint).to_be_disabled()  # nothing to paint over yet
    choose_picture(page, picture)
    expect(paint).to_be_enabled()
    paint.click()

    dialog = page.get_by_role("dialog", name="Paint the mask")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-mask-status]")).to_have_text("96 \u00d7 64 pixels")
    canvas = dialog.locator("[data-mask-canvas]")
    expect(canvas).to_be_focused()
    box = canvas.bounding_box()
    # A stroke with the mouse across the left third...
    page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    # ...and a dab from the keyboard at the bottom right.
    canvas.focus()
    for _ in range(30):  # to the corner, wherever the mouse left the brush
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.screenshot(path=str(ARTIFACTS / "mask-painting.png"))
    dialog.get_by_role("button", name="Invert").click()
    dialog.get_by_role("button", name="Invert").click()  # twice: back as painted
    dialog.get_by_role("button", name="Save mask").click()
    expect(dialog).to_be_hidden()

    url = page.locator("[data-field='mask_url'] [data-file-url]").input_value()
    assert url, "the mask's URL is in the mask field"
    raw = Image.open(io.BytesIO(httpx.get(url).content))
    assert "A" not in raw.getbands() or raw.getchannel("A").getextrema() == (255, 255)
    mask = raw.convert("L")
    assert mask.size == (96, 64)  # the picture's own size
    assert mask.getpixel((10, 32)) == 255  # painted: edit
    assert mask.getpixel((95, 63)) == 255  # the keyboard's dab
    assert mask.getpixel((60, 5)) == 0  # untouched: keep


def test_invert_and_erase_in_the_mask_painter(signed_in, picture):
    page, base, _ = signed_in
    page.goto(f"{base}/models/{LCM}/")
    choose_picture(page, picture)
    page.get_by_role("button", name="Paint mask").click()
    dialog = page.get_by_role("dialog", name="Paint the mask")
    expect(dialog.locator("[data-mask-status]")).to_have_text("96 \u00d7 64 pixels")
    canvas = dialog.locator("[data-mask-canvas]")
    canvas.focus()
    page.keyboard.press("Space")  # a dab in the middle
    dialog.get_by_role("button", name="Invert").click()  # everything but the dab
    canvas.focus()
    page.keyboard.press("e")  # the eraser, from the keyboard
    expect(dialog.get_by_role("button", name="Erase")).to_have_attribute("aria-pressed", "true")
    for _ in range(20):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Space")  # erase at the left edge
    dialog.get_by_role("button", name="Save mask").click()
    expect(dialog).to_be_hidden()
    url = page.locator("[data-field='mask_url'] [data-file-url]").input_value()
    mask = Image.open(io.BytesIO(httpx.get(url).content)).convert("L")
    assert mask.getpixel((48, 32)) == 0  # the dab, inverted: keep
    assert mask.getpixel((90, 5)) == 255  # the rest, inverted: edit
    assert mask.getpixel((0, 32)) == 0  # erased


def test_a_mask_painted_with_a_finger_on_a_phone(browser, live_app_with_runner, live_user, picture):
    live_user("media-phone", "pw-phone-12345")
    base = live_app_with_runner.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "media-phone")
        page.fill("#id_password", "pw-phone-12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/models/{LCM}/")
        choose_picture(page, picture)
        page.get_by_role("button", name="Paint mask").click()
        dialog = page.get_by_role("dialog", name="Paint the mask")
        expect(dialog.locator("[data-mask-status]")).to_have_text("96 \u00d7 64 pixels")
        box = dialog.locator("[data-mask-canvas]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the screen
        page.touchscreen.tap(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5)
        page.screenshot(path=str(ARTIFACTS / "mask-painting-phone.png"))
        dialog.get_by_role("button", name="Save mask").tap()  # the dialog is the top layer
        expect(dialog).to_be_hidden()
        url = page.locator("[data-field='mask_url'] [data-file-url]").input_value()
        mask = Image.open(io.BytesIO(httpx.get(url).content)).convert("L")
        assert mask.getpixel((72, 32)) == 255  # where the finger touched
        assert mask.getpixel((10, 10)) == 0
    finally:
        page.evaluate("0")
        context.close()
