"""An experiment as a person makes one: the model form, Experiment, a 3x3 sweep of
guidance_scale x num_inference_steps on fal-ai/flux/dev, the grid filling live, the
keyboard and the zoom, a cell opened."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from playground.experiments.models import Experiment, ExperimentStatus
from tests.conftest import server_with_runner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FLUX_DEV = "fal-ai/flux/dev"


@pytest.fixture(scope="module")
def live_app_with_runner(django_db_setup, django_db_blocker, tmp_path_factory):
    """Three emulator runners: a sweep's cells run three at a time, as fal runs requests
    side by side, so the grid still fills live, cell by cell, in a third of the time."""
    with server_with_runner(django_db_blocker, tmp_path_factory, LOCALFAL_RUNNERS="3") as server:
        yield server


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    live_user("sweep-alice", "pw-alice-123")
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "sweep-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url


def test_a_3x3_sweep_fills_its_grid_live_and_a_cell_opens(signed_in, tmp_path):
    page, base = signed_in
    page.goto(f"{base}/models/{FLUX_DEV}/")
    page.fill("textarea[name=prompt]", "a lighthouse, swept")
    page.locator("[data-experiment-link]").click()

    page.wait_for_url(f"{base}/models/{FLUX_DEV}/experiment")
    assert page.locator("textarea[name=prompt]").input_value() == "a lighthouse, swept"
    page.locator("[data-kind][value=sweep]").check()
    page.select_option("select[name=__x_field]", "guidance_scale")
    page.fill("input[name=__x_values]", "[2, 3.5, 5]")
    page.select_option("select[name=__y_field]", "num_inference_steps")
    page.fill("input[name=__y_values]", "[2, 3, 4]")
    page.screenshot(path="test-artifacts/experiment-form.png", full_page=True)
    page.locator("[data-plan]").click()

    page.locator("h1", has_text="Start 9 runs?").wait_for()
    page.locator("[data-start]").click()

    page.locator("[data-grid]").wait_for()
    assert page.locator("[data-col-label]").all_inner_texts() == ["2", "3.5", "5"]
    assert page.locator("[data-row-label]").all_inner_texts() == ["2", "3", "4"]
    # Live: every cell ends completed with its image, without a reload.
    page.wait_for_function(
        "() => document.querySelectorAll('.xg-cell--completed img').length === 9",
        timeout=90_000,
    )
    page.locator("[data-experiment-status]", has_text="Finished").wait_for(timeout=20_000)
    experiment = Experiment.objects.get(title__contains="Guidance")
    assert experiment.status == ExperimentStatus.FINISHED

    page.locator("[data-zoom]").fill("320")
    size = page.locator("[data-grid]").evaluate(
        "grid => getComputedStyle(grid).getPropertyValue('--cell-size')"
    )
    assert size.strip() == "320px"

    page.screenshot(path="test-artifacts/experiment-grid.png", full_page=True)
    check_the_download(page, tmp_path)

    page.locator('[data-coords="0,0"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.getAttribute('data-coords')")
    assert focused == "1,1"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/generations/**")
    generation = experiment.generations.get(experiment_cell="1,1")
    assert page.url.endswith(f"/generations/{generation.code}/")
    page.screenshot(path="test-artifacts/experiment-cell.png", full_page=True)


def check_the_download(page, tmp_path) -> None:
    """The zip from the grid's Download: a contact sheet with a column per guidance value
    and a row per step count (each a labelled 256 px cell at least), nine pictures, and the
    metadata of nine completed cells."""
    with page.expect_download() as started:
        page.locator("[data-export]").click()
    path = tmp_path / "experiment.zip"
    started.value.save_as(path)
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    sheet = Image.open(io.BytesIO(archive.read("contact-sheet.png")))
    assert sheet.width > 3 * 256 and sheet.height > 3 * 256
    # The label band above the first row is drawn, not blank (the axis values are there).
    band = sheet.crop((sheet.width // 4, 0, sheet.width, 60)).convert("L")
    assert band.getextrema()[0] < 128
    assert len([n for n in archive.namelist() if n.startswith("files/")]) == 9
    cells = json.loads(archive.read("metadata.json"))["cells"]
    assert [c["status"] for c in cells] == ["completed"] * 9


def test_the_experiment_form_uploads_a_picture_like_the_model_page(signed_in, tmp_path):
    page, base = signed_in
    picture = tmp_path / "portrait.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 60, 200)).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    page.goto(f"{base}/models/fal-ai/image-editing/cartoonify/experiment")

    page.locator("input[type=file]").set_input_files(picture)

    url = page.get_by_role("textbox", name="Image URL")
    expect(url).to_have_value(re.compile(r"/localfal/cdn/files/[0-9a-f]{32}/portrait\.png$"))
    expect(page.locator("[data-preview] img")).to_be_visible()
    page.fill("input[name=__seeds]", "7, 8")
    # Enter in a field reviews the experiment (the form posts, unlike the model page's).
    page.locator("input[name=__seeds]").press("Enter")

    page.locator("h1", has_text="Start 2 runs?").wait_for()
    assert "portrait.png" in page.content()
