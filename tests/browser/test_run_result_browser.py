"""After a run, as a person sees it: the seed that made the image, logs left as they were,
a progress bar that ends, and the form matching the run shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from playground.jobs.models import Generation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCHNELL = "fal-ai/flux/schnell"


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    live_user("result-alice", "pw-alice-123")
    base = live_app_with_runner.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "result-alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page, base


def run_and_wait(page, prompt: str) -> None:
    """Run, then wait for this run's own panel to say Completed (a finished earlier run's
    panel stays on screen until the new one replaces it)."""
    before = page.locator("#run-panel [data-generation]")
    shown = before.first.get_attribute("data-generation") if before.count() else None
    page.fill("textarea[name=prompt]", prompt)
    page.locator("[data-run]").click()
    page.wait_for_function(
        "(old) => { const p = document.querySelector('#run-panel [data-generation]');"
        " return p && p.dataset.generation !== old; }",
        arg=shown,
        timeout=30_000,
    )
    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=30_000)


def test_random_stays_random_and_use_this_seed_pins_the_seed_of_the_result(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/{SCHNELL}/")
    page.locator("summary", has_text="Advanced settings").click()
    seed_box = page.get_by_role("spinbutton", name="Seed")
    expect(seed_box).to_have_value("")
    run_and_wait(page, "a red kite")
    first = Generation.objects.get(input__prompt="a red kite")
    used = first.input["seed"]
    assert isinstance(used, int)
    panel = page.locator("#run-panel")
    expect(panel.locator(".gen-facts__seed .mono")).to_have_text(str(used))
    expect(seed_box).to_have_value("")  # still Random: no "next" seed to lock by mistake
    lock = page.get_by_role("button", name="Keep this seed for every run")
    expect(lock).to_have_attribute("aria-pressed", "false")

    panel.get_by_role("button", name="Use this seed").click()
    expect(seed_box).to_have_value(str(used))
    page.screenshot(path="test-artifacts/run-use-this-seed.png", full_page=True)
    expect(lock).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Input JSON")).to_have_value(re.compile(f'"seed": {used}'))
    run_and_wait(page, "a red kite again")
    again = Generation.objects.get(input__prompt="a red kite again")
    assert again.input["seed"] == used
    expect(seed_box).to_have_value(str(used))  # locked: kept for the next runs

    lock.click()  # unlocked: random again
    expect(seed_box).to_have_value("")


def test_logs_stay_as_the_person_left_them_when_the_result_arrives(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/{SCHNELL}/")
    page.fill("textarea[name=prompt]", "open logs")
    page.locator("[data-run]").click()
    logs = page.locator("#run-panel details.gen-logs-wrap")
    logs.wait_for()
    expect(logs).to_have_attribute("open", "")
    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=30_000)
    page.locator("#run-panel .gen-asset").first.wait_for()
    expect(logs).to_have_attribute("open", "")

    page.fill("textarea[name=prompt]", "closed logs")
    page.locator("[data-run]").click()
    page.wait_for_function(
        "() => /pending|queued|running/.test("
        "document.querySelector('#run-panel .gen-status')?.dataset.status)"
    )
    page.locator("#run-panel details.gen-logs-wrap > summary").click()
    expect(logs).not_to_have_attribute("open", "")
    page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=30_000)
    page.locator("#run-panel .gen-asset").first.wait_for()
    expect(logs).not_to_have_attribute("open", "")


def test_logs_opened_after_the_run_stay_open_after_a_reload(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/{SCHNELL}/")
    run_and_wait(page, "reopen logs")
    logs = page.locator("#run-panel details.gen-logs-wrap")
    page.reload()
    expect(logs).not_to_have_attribute("open", "")  # a finished run starts with them closed
    logs.locator("summary").click()
    expect(logs).to_have_attribute("open", "")
    page.reload()
    expect(logs).to_have_attribute("open", "")


def test_the_bar_of_a_finished_run_is_full_and_still(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/{SCHNELL}/")
    run_and_wait(page, "a full bar")
    bar = page.locator("#run-panel .gen-progress--completed progress")
    expect(bar).to_have_attribute("value", "1.0")
    expect(bar).to_have_accessible_name("Completed")


FAKE_NOTIFICATIONS = """
window.__notes = [];
window.__asked = 0;
window.__hidden = false;
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
Object.defineProperty(document, "visibilityState", {
  get: () => (window.__hidden ? "hidden" : "visible"),
});
class FakeNotification {
  constructor(title, options) { window.__notes.push({ title, body: (options || {}).body }); }
  addEventListener() {}
  close() {}
}
FakeNotification.permission = "default";
FakeNotification.requestPermission = () => {
  window.__asked += 1;
  FakeNotification.permission = "granted";
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
"""


def set_hidden(page, hidden: bool) -> None:
    page.evaluate(
        "(h) => { window.__hidden = h; document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_notify_when_done_for_a_long_run_in_a_hidden_tab(signed_in):
    from tests.browser.test_run_browser import emulator_busy

    page, base = signed_in
    page.add_init_script(FAKE_NOTIFICATIONS)
    page.goto(f"{base}/models/{SCHNELL}/")
    model = page.locator("h1").inner_text().strip()
    assert page.evaluate("window.__asked") == 0  # never asked on its own
    switch = page.get_by_role("button", name="Notify when done")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__asked") == 1

    # A quick run in a hidden tab: the title says so, no notification.
    set_hidden(page, True)
    run_and_wait(page, "quick one")
    expect(page).to_have_title(f"✓ Done — {model}")
    assert page.evaluate("window.__notes") == []
    set_hidden(page, False)
    expect(page).not_to_have_title(re.compile("Done"))

    # A run that waits over 10 s in the queue: notified once it ends.
    with emulator_busy(base, seconds=13):
        page.fill("textarea[name=prompt]", "slow one")
        page.locator("[data-run]").click()
        expect(page).to_have_title(re.compile(rf"^In queue \(\d+\) — {re.escape(model)}$"))
        set_hidden(page, True)
        page.locator("#run-panel .gen-badge", has_text="Completed").wait_for(timeout=40_000)
    expect(page).to_have_title(f"✓ Done — {model}")
    notes = page.evaluate("window.__notes")
    assert notes == [{"title": f"✓ Done — {model}", "body": "slow one"}]


def test_after_a_reload_the_inputs_of_the_run_shown_can_be_restored(signed_in):
    page, base = signed_in
    page.goto(f"{base}/models/{SCHNELL}/")
    run_and_wait(page, "a lantern in fog")
    page.reload()
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    expect(prompt).to_have_value("")  # a fresh form...
    expect(page.locator("#run-panel")).to_contain_text("a lantern in fog")  # ...beside the run
    page.get_by_role("link", name="Restore inputs").click()
    expect(prompt).to_have_value("a lantern in fog")
    expect(page.get_by_role("link", name="Restore inputs")).to_have_count(0)
