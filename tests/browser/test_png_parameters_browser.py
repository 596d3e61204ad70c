"""Read parameters from a PNG: a person drops (or picks) a PNG made by AUTOMATIC1111 or
downloaded here on a model page, and the form takes its inputs, saying what was restored
and what did not map. The PNG is read in the browser; nothing is uploaded."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from PIL import Image, PngImagePlugin
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

A1111 = (
    "a lighthouse at dusk, oil painting\n"
    "Negative prompt: blurry, low quality\n"
    'Steps: 30, Sampler: Euler a, CFG scale: 4.5, Seed: 1234, Size: 512x384, Model: "sd, xl"'
)


def png(**texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value, zip=key == "input")  # zTXt too, as some tools write
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture
def model_page(live_app, page, live_user):
    live_user("pia", "pw-pia-12345")
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill("pia")
    page.get_by_label("Password").fill("pw-pia-12345")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_app.url}/")
    page.goto(f"{live_app.url}/models/fal-ai/flux/dev/")
    expect(page.get_by_role("button", name="From PNG…")).to_be_visible()
    return page


def pick(page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="From PNG…").click()
    chooser.value.set_files(path)


def editor_input(page) -> dict:
    return json.loads(page.locator("[data-json-editor]").input_value())


def test_an_a1111_png_picked_fills_the_form_and_says_what_did_not_map(model_page, tmp_path):
    page = model_page
    path = tmp_path / "a1111.png"
    path.write_bytes(png(parameters=A1111))
    pick(page, path)
    report = page.get_by_role("status").filter(has_text="Read parameters from a1111.png")
    expect(report).to_contain_text("AUTOMATIC1111")
    expect(report).to_contain_text("Restored: prompt, num_inference_steps, guidance_scale, seed")
    expect(report).to_contain_text("Negative prompt (blurry, low quality)")
    expect(report).to_contain_text("Sampler (Euler a)")
    expect(report).to_contain_text("Model (sd, xl)")
    expect(page.locator("textarea[name=prompt]")).to_have_value(
        "a lighthouse at dusk, oil painting"
    )
    expect(page.locator("[data-json-editor]")).to_have_value(re.compile(r'"seed": 1234'))
    data = editor_input(page)
    assert data["num_inference_steps"] == 30 and data["guidance_scale"] == 4.5
    assert data["image_size"] == {"width": 512, "height": 384}


def test_a_png_downloaded_here_dropped_on_the_form_restores_its_input(model_page):
    page = model_page
    made_here = png(
        parameters="ignored when the whole input is there",
        input=json.dumps({"prompt": "a fox in snow", "seed": 77, "num_images": 2, "lora": "x"}),
    )
    transfer = page.evaluate_handle(
        """(b64) => {
          const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], "fox.png", {type: "image/png"}));
          return transfer;
        }""",
        base64.b64encode(made_here).decode(),
    )
    page.dispatch_event(".model-input", "drop", {"dataTransfer": transfer})
    report = page.get_by_role("status").filter(has_text="Read parameters from fox.png")
    expect(report).to_contain_text("this playground")
    expect(report).to_contain_text("Restored: prompt, seed, num_images.")
    expect(report).to_contain_text("Didn't map: lora.")
    expect(page.locator("textarea[name=prompt]")).to_have_value("a fox in snow")
    expect(page.locator("[data-json-editor]")).to_have_value(re.compile(r'"num_images": 2'))


def test_a_file_that_is_no_png_or_has_no_parameters_is_explained(model_page, tmp_path):
    page = model_page
    plain = tmp_path / "plain.png"
    plain.write_bytes(png())
    pick(page, plain)
    expect(page.get_by_role("status").filter(has_text="carries no parameters")).to_be_visible()
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a not a png at all")
    pick(page, fake)
    expect(page.get_by_role("status").filter(has_text="That file is not a PNG.")).to_be_visible()
    expect(page.locator("textarea[name=prompt]")).to_have_value("")


def test_on_a_phone_the_input_buttons_wrap_inside_the_screen(model_page):
    page = model_page
    page.set_viewport_size({"width": 390, "height": 844})
    for name in ("Load example", "Reset", "From PNG…"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
