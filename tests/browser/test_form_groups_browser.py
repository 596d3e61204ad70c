"""Forms that open ready to send, in a real browser: optional objects behind Add/Remove,
optional lists that start empty, "Send empty", placeholders that read as examples, errors
that wait for a touch, required prompts first."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from PIL import Image
from playwright.sync_api import expect

from playground.catalog.models import Endpoint
from tests.catalog.unseen_schemas import BLANKS, SD35, SPEAKERS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-42"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def signed_in(live_app, page):
    hasher = PBKDF2PasswordHasher()
    User.objects.create(username="maya", password=hasher.encode(PASSWORD, hasher.salt()))
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_app.url}/")
    return page


def add_endpoint(endpoint_id: str, schema: dict) -> None:
    Endpoint.objects.update_or_create(
        endpoint_id=endpoint_id,
        defaults={
            "title": endpoint_id.rsplit("/", 1)[-1],
            "category": "image",
            "input_schema": schema,
            "output_schema": {"type": "object"},
            "schema_sha": f"{endpoint_id}-test",
            "modes": ["queue"],
        },
    )


def open_model(page, live_app, endpoint_id: str) -> None:
    page.goto(f"{live_app.url}/models/{endpoint_id}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def sent(page) -> dict:
    """The input the request panel shows (what Run would send)."""
    return json.loads(page.locator("[data-json-editor]").input_value())


def status(page):
    return page.locator("[data-payload-status]")


def test_an_optional_object_is_added_filled_and_removed(live_app, signed_in):
    page = signed_in
    add_endpoint("fal-ai/stable-diffusion-v35-large", SD35)
    open_model(page, live_app, "fal-ai/stable-diffusion-v35-large")
    page.get_by_role("textbox", name="Prompt", exact=True).fill("A castle on a cloud")
    expect(status(page)).to_contain_text("Ready to run")
    assert "controlnet" not in sent(page)
    # Absent: its required members are not on the page, so they cannot block it.
    expect(page.get_by_role("textbox", name="Path")).to_have_count(0)

    page.locator("summary", has_text="Advanced settings").click()
    page.get_by_role("button", name="Add ControlNet").click()
    path = page.get_by_role("textbox", name="Path")
    expect(path).to_be_focused()
    expect(status(page)).to_contain_text("2 fields need attention")
    expect(page.locator("[data-json-editor]")).to_have_value(re.compile('"controlnet"'))
    path.fill("https://example.com/canny.safetensors")
    page.get_by_role("textbox", name="Control Image Url").fill("https://example.com/edge.png")
    expect(status(page)).to_contain_text("Ready to run")
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("button", name="Remove ControlNet").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "model-form-optional-group.png")
    controlnet = sent(page)["controlnet"]
    assert controlnet["path"] == "https://example.com/canny.safetensors"
    assert controlnet["conditioning_scale"] == 1  # its defaults come along once added

    page.get_by_role("button", name="Remove ControlNet").click()
    expect(page.get_by_role("button", name="Add ControlNet")).to_be_focused()
    expect(page.locator("[data-json-editor]")).not_to_have_value(re.compile('"controlnet"'))
    expect(status(page)).to_contain_text("Ready to run")


def test_a_nullable_list_with_min_items_starts_empty_and_adds_enough_rows(live_app, signed_in):
    page = signed_in
    add_endpoint("fal-ai/dialogue-test", SPEAKERS)
    open_model(page, live_app, "fal-ai/dialogue-test")
    page.get_by_role("textbox", name="Script", exact=True).fill("Hello there.")
    expect(status(page)).to_contain_text("Ready to run")
    page.locator("summary", has_text="Advanced settings").click()

    page.get_by_role("button", name="Add speaker").click()
    expect(page.locator("[data-array] [data-row]")).to_have_count(2)  # minItems: 2
    expect(page.get_by_role("button", name="Remove speaker 1")).to_be_enabled()


def test_send_empty_sends_an_empty_string_instead_of_the_default(live_app, signed_in):
    page = signed_in
    add_endpoint("fal-ai/blanks-test", BLANKS)
    open_model(page, live_app, "fal-ai/blanks-test")
    page.get_by_role("textbox", name="Prompt", exact=True).fill("A bowl of fruit")
    negative = page.get_by_role("textbox", name="Negative prompt")
    negative.fill("")
    expect(status(page)).to_contain_text("Ready to run")
    assert "negative_prompt" not in sent(page)  # empty: the model's default applies

    page.get_by_role("checkbox", name="Send empty").check()
    expect(negative).to_be_disabled()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "model-form-blank.png"
    page.locator('[data-field="negative_prompt"]').screenshot(path=shot)
    expect(page.locator("[data-json-editor]")).to_have_value(re.compile('"negative_prompt": ""'))


def test_placeholders_look_empty_and_errors_wait_for_a_touch(live_app, signed_in):
    page = signed_in
    add_endpoint("fal-ai/stable-diffusion-v35-large", SD35)
    open_model(page, live_app, "fal-ai/stable-diffusion-v35-large")
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    error = page.locator('[data-error-for="prompt"]')

    # D18: the required prompt comes first, though the schema lists image_size before it.
    first = page.locator("#form-fields [data-field]").first
    expect(first).to_have_attribute("data-field", "prompt")
    # D15: the example is a placeholder that says so, drawn as a placeholder.
    expect(prompt).to_have_attribute("placeholder", "e.g. A dreamy castle on a cloud")
    expect(prompt).to_have_value("")
    style = prompt.evaluate("el => getComputedStyle(el, '::placeholder').fontStyle")
    assert style == "italic"
    # No error before any edit: a to-do, not "needs attention".
    expect(status(page)).to_contain_text("To run, fill in Prompt")
    expect(status(page)).not_to_contain_text("attention")
    expect(error).to_be_hidden()

    prompt.type("a")
    prompt.press("Backspace")
    expect(error).to_be_hidden()  # still typing: no error yet
    prompt.blur()
    expect(error).to_contain_text("This field is required.")
    expect(status(page)).to_contain_text("1 field needs attention")


def picture(path, colour) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_pictures_are_zipped_into_the_training_set_field(live_app, signed_in, tmp_path):
    page = signed_in
    open_model(page, live_app, "fal-ai/flux-lora-fast-training")
    chosen = [picture(tmp_path / f"face{i}.png", (60 * i, 90, 120)) for i in range(3)]
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")

    # Only something else: refused at the field, nothing uploaded.
    page.locator("[data-zip-images]").set_input_files([str(notes)])
    field = page.locator('[data-field="images_data_url"]')
    expect(field.locator("[data-upload-text]")).to_contain_text("Choose one or more pictures")
    url = page.get_by_role("textbox", name="Images Data Url")
    expect(url).to_have_value("")

    page.locator("[data-zip-images]").set_input_files(chosen)
    expect(url).to_have_value(re.compile(r"/localfal/cdn/files/[0-9a-f]{32}/training-images\.zip$"))
    expect(field.locator("[data-upload-status]")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    field.screenshot(path=ARTIFACTS / "model-form-zip-images.png")
    expect(status(page)).to_contain_text("Ready to run")
    archive = zipfile.ZipFile(io.BytesIO(page.request.get(url.input_value()).body()))
    assert archive.namelist() == ["face0.png", "face1.png", "face2.png"]
    assert archive.testzip() is None  # every CRC checks out
    assert Image.open(io.BytesIO(archive.read("face2.png"))).size == (32, 32)


def test_the_training_example_is_ready_to_run(live_app, signed_in):
    page = signed_in
    open_model(page, live_app, "fal-ai/flux-lora-portrait-trainer")
    page.get_by_role("button", name="Load example").click()
    expect(page.get_by_role("textbox", name="Images Data Url")).to_have_value(
        re.compile(r"^data:application/zip;base64,")
    )
    expect(status(page)).to_contain_text("Ready to run")
