"""A person adds an endpoint the catalog lacks by its id, then runs it on the emulator."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from playground.catalog.models import Endpoint
from playground.jobs.models import Generation, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FLOW = "comfy/acme/sketch-flow"
SCHEMA = {
    "type": "object",
    "properties": {"prompt": {"type": "string", "title": "Prompt"}},
    "required": ["prompt"],
}


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    user = live_user("adder-alice", "pw-alice-123")
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "adder-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url, user


def test_add_a_schemaless_endpoint_and_run_it_with_the_json_editor(signed_in):
    page, base, user = signed_in
    page.goto(f"{base}/models/")
    page.get_by_role("link", name="Add an endpoint by id").click()
    expect(page.get_by_role("heading", name="Add an endpoint")).to_be_visible()

    page.get_by_label("Endpoint id").fill(FLOW)
    page.get_by_label("No schema: type the input as JSON").check()
    page.get_by_role("button", name="Add endpoint").click()

    expect(page).to_have_url(f"{base}/models/{FLOW}/")
    expect(page.get_by_text(f"Added {FLOW} to the catalog.")).to_be_visible()
    editor = page.get_by_label("Input (JSON object)")
    expect(editor).to_be_visible()
    editor.fill('{"workflow": "sketch", "steps": 4}')
    page.locator("[data-run]").click()

    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=30_000)
    run = Generation.objects.get(owner=user, endpoint_id=FLOW)
    assert run.status == Status.COMPLETED
    assert run.input == {"workflow": "sketch", "steps": 4}


def test_a_pasted_schema_gives_a_real_form_and_bad_input_is_explained(signed_in):
    page, base, _ = signed_in
    page.goto(f"{base}/models/add/")

    page.get_by_label("Endpoint id").fill("workflows/acme/captioner")
    page.get_by_label("Paste an OpenAPI document or a JSON Schema of its input").check()
    page.get_by_label("OpenAPI document or JSON Schema").fill("{not json")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("That is not valid JSON")).to_be_visible()
    assert not Endpoint.objects.filter(endpoint_id="workflows/acme/captioner").exists()

    page.get_by_label("OpenAPI document or JSON Schema").fill(json.dumps(SCHEMA))
    page.get_by_role("button", name="Add endpoint").click()

    expect(page).to_have_url(f"{base}/models/workflows/acme/captioner/")
    expect(page.locator("textarea[name=prompt], input[name=prompt]")).to_be_visible()
