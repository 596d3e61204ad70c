"""An experiment as a person makes one: the model form, Experiment, a 3x3 sweep of
guidance_scale x num_inference_steps on fal-ai/flux/dev, the grid filling live, the
keyboard and the zoom, a cell opened."""

from __future__ import annotations

import pytest

from playground.experiments.models import Experiment, ExperimentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FLUX_DEV = "fal-ai/flux/dev"


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    live_user("sweep-alice", "pw-alice-123")
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "sweep-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url


def test_a_3x3_sweep_fills_its_grid_live_and_a_cell_opens(signed_in):
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
