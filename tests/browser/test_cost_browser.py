"""The estimated cost beside Run follows the form as a person changes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_model_form_browser import ARTIFACTS, open_model, signed_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_cost_beside_run_follows_the_image_size(live_app, signed_in):  # noqa: F811
    page = signed_in
    open_model(page, live_app, "fal-ai/flux/dev")
    cost = page.locator("[data-cost-text]")
    expect(cost).to_have_text("≈ $0.025")
    expect(cost).to_have_attribute("title", "1 megapixel at $0.025 per megapixel")

    page.get_by_role("textbox", name="Prompt", exact=True).fill("a lighthouse")
    page.get_by_role("radio", name="Custom").check()
    page.get_by_role("spinbutton", name="Width").fill("2048")
    page.get_by_role("spinbutton", name="Height").fill("2048")

    expect(cost).to_have_text("≈ $0.10")
    expect(page.locator("[data-cost-note]")).to_have_text("4 megapixels at $0.025 per megapixel")
    page.locator(".model-form__footer").screenshot(path=ARTIFACTS / "model-cost-estimate.png")
