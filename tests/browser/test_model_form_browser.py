"""A person fills a generated model form in a real browser: sizes, LoRA rows, examples,
the JSON view and an uploaded image, with the request panel following along."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from PIL import Image
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-42"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def signed_in(live_app, page):
    # The server checks passwords with its own hashers, not the tests' fast MD5 one.
    hasher = PBKDF2PasswordHasher()
    User.objects.create(username="maya", password=hasher.encode(PASSWORD, hasher.salt()))
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_app.url}/")
    ARTIFACTS.mkdir(exist_ok=True)
    return page


def open_model(page, live_app, endpoint_id: str) -> None:
    page.goto(f"{live_app.url}/models/{endpoint_id}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def code(page, tab: str):
    page.get_by_role("tab", name=tab).click()
    return page.get_by_role("tabpanel", name=tab).locator("code")


def test_custom_size_updates_the_code_and_examples_fill_the_form(live_app, signed_in):
    page = signed_in
    open_model(page, live_app, "fal-ai/flux/dev")
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)

    prompt.fill("A lighthouse on a cliff at dusk, volumetric light")
    page.get_by_role("radio", name="Custom").check()
    page.get_by_role("spinbutton", name="Width").fill("640")
    page.get_by_role("spinbutton", name="Height").fill("480")
    page.get_by_role("spinbutton", name="Height").press("Enter")  # must not submit anything

    curl = code(page, "cURL")
    expect(curl).to_contain_text('"width": 640')
    expect(curl).to_contain_text('"height": 480')
    expect(curl).to_contain_text("Authorization: Key $FAL_KEY")
    expect(page.locator("[data-payload-status]")).to_contain_text("Ready to run")
    expect(page).to_have_url(re.compile(r"/models/fal-ai/flux/dev/$"))
    page.screenshot(path=ARTIFACTS / "model-form-custom-size.png")

    page.get_by_role("button", name="Load example").click()
    expect(prompt).to_have_value(re.compile("tiger eye"))
    expect(curl).to_contain_text("tiger eye")
    expect(page.get_by_role("radio", name="Preset")).to_be_checked()

    page.get_by_role("button", name="Reset").click()
    expect(prompt).to_have_value("")
    expect(page.locator("[data-payload-status]")).to_contain_text("To run, fill in Prompt")


def test_lora_rows_can_be_added_and_removed(live_app, signed_in):
    page = signed_in
    open_model(page, live_app, "fal-ai/fast-sdxl")  # flux/dev takes no LoRAs
    page.get_by_role("textbox", name="Prompt", exact=True).fill("A red fox in the snow")
    page.locator("summary", has_text="Advanced settings").click()
    add = page.get_by_role("button", name="Add lora")

    add.click()
    add.click()
    add.click()
    paths = page.get_by_role("textbox", name="Path")
    expect(paths).to_have_count(3)
    paths.nth(0).fill("https://example.com/first.safetensors")
    paths.nth(2).fill("https://example.com/third.safetensors")
    page.get_by_role("button", name="Remove lora 2").click()

    expect(paths).to_have_count(2)
    expect(page.get_by_role("button", name="Remove lora 2")).to_be_visible()
    python = code(page, "Python")
    expect(python).to_contain_text('"path": "https://example.com/first.safetensors"')
    expect(python).to_contain_text('"path": "https://example.com/third.safetensors"')
    page.get_by_role("button", name="Add lora").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "model-form-loras.png")


def test_the_json_view_applies_back_to_the_form(live_app, signed_in):
    page = signed_in
    open_model(page, live_app, "fal-ai/flux/dev")
    code(page, "JSON")
    editor = page.get_by_label("Input JSON")

    editor.fill('{"prompt": "a paper boat", "num_inference_steps": 99}')
    page.get_by_role("button", name="Apply to form").click()
    expect(page.locator("[data-json-errors]")).to_contain_text("at most 50")

    editor.fill('{"prompt": "a paper boat", "image_size": {"width": 800, "height": 600}}')
    page.get_by_role("button", name="Apply to form").click()

    expect(page.get_by_role("textbox", name="Prompt", exact=True)).to_have_value("a paper boat")
    expect(page.get_by_role("radio", name="Custom")).to_be_checked()
    expect(page.get_by_role("spinbutton", name="Width")).to_have_value("800")
    expect(code(page, "JavaScript")).to_contain_text("width: 800")


def test_an_uploaded_image_is_previewed_and_fills_the_url(live_app, signed_in, tmp_path):
    page = signed_in
    picture = tmp_path / "portrait.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 60, 200)).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    open_model(page, live_app, "fal-ai/image-editing/cartoonify")

    page.locator("input[type=file]").set_input_files(picture)

    url = page.get_by_role("textbox", name="Image URL")
    expect(url).to_have_value(re.compile(r"/localfal/cdn/files/[0-9a-f]{32}/portrait\.png$"))
    preview = page.locator("[data-preview] img")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("src", url.input_value())
    page.wait_for_function("() => document.querySelector('[data-preview] img').naturalWidth")
    assert preview.evaluate("image => image.naturalWidth") == 64
    expect(code(page, "cURL")).to_contain_text("portrait.png")
    page.screenshot(path=ARTIFACTS / "model-form-upload.png")

    page.get_by_role("button", name="Reset").click()
    expect(url).to_have_value("")
    page.locator("summary", has_text="Recent").click()
    page.get_by_role("button", name="Use portrait.png").click()
    expect(url).to_have_value(re.compile(r"portrait\.png$"))


def test_a_refused_upload_is_explained_next_to_the_field(live_app, signed_in, tmp_path):
    page = signed_in
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"these are notes, not pixels")
    open_model(page, live_app, "fal-ai/image-editing/cartoonify")

    page.locator("input[type=file]").set_input_files(notes)

    expect(page.locator("[data-upload-text]")).to_have_text(re.compile("not an image"))
    expect(page.get_by_role("textbox", name="Image URL")).to_have_value("")


def test_the_page_in_dark_mode(live_app, signed_in):
    page = signed_in
    page.emulate_media(color_scheme="dark")
    open_model(page, live_app, "fal-ai/flux/dev")
    page.get_by_role("textbox", name="Prompt", exact=True).fill("Neon koi in a midnight pond")
    page.locator("summary", has_text="Advanced settings").click()
    page.get_by_role("button", name="Randomize seed").click()

    seed = page.get_by_role("spinbutton", name="Seed")
    expect(seed).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_role("button", name="Keep this seed for every run")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("tab", name="JSON").click()
    expect(page.get_by_label("Input JSON")).to_have_value(re.compile('"seed": \\d+'))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 13, 18)"
    page.screenshot(path=ARTIFACTS / "model-form-dark.png")


def test_on_a_phone_the_request_panel_follows_the_form(live_app, signed_in):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    open_model(page, live_app, "fal-ai/flux/dev")

    form = page.locator("#model-form").bounding_box()
    request = page.get_by_role("complementary").bounding_box()
    assert request["y"] >= form["y"] + form["height"]
    assert request["width"] == pytest.approx(form["width"], abs=2)
    page.screenshot(path=ARTIFACTS / "model-form-phone.png", full_page=True)
