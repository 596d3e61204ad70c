"""Stream mode as a person sees it: an LLM answer grows word by word as formatted text and
can be copied; an image model shows previews that the final image replaces; the logs box
has the progress, and no status JSON is shown as output."""

from __future__ import annotations

import itertools

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every state of the streaming text and every preview picture the panel shows.
WATCH = """
window.__seen = { texts: [], previews: [] };
new MutationObserver(() => {
  const body = document.querySelector('#run-panel .gen-text--streaming .gen-text__body');
  const text = body ? body.textContent : null;
  if (text && window.__seen.texts[window.__seen.texts.length - 1] !== text) {
    window.__seen.texts.push(text);
  }
  document.querySelectorAll('#run-panel img[data-preview-image]').forEach((img) => {
    if (!window.__seen.previews.includes(img.src)) window.__seen.previews.push(img.src);
  });
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


@pytest.fixture
def signed_in(page, live_app_with_runner, live_user):
    live_user("stream-sam", "pw-stream-123")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_app_with_runner.url}/accounts/login/")
    page.fill("#id_username", "stream-sam")
    page.fill("#id_password", "pw-stream-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app_with_runner.url}/")
    return page, live_app_with_runner.url


def run_streaming(page, base: str, endpoint_id: str, fill: dict[str, str]) -> None:
    page.goto(f"{base}/models/{endpoint_id}/")
    page.evaluate(WATCH)
    for name, value in fill.items():
        page.fill(f"[name='{name}']", value)
    page.get_by_role("radio", name="Stream").check()
    page.locator("[data-run]").click()


def test_an_llm_answer_grows_as_markdown_and_can_be_copied(signed_in):
    page, base = signed_in
    prompt = "Explain **streaming** " + " ".join(f"word{i}" for i in range(40))
    run_streaming(
        page, base, "openrouter/router", {"prompt": prompt, "model": "google/gemini-2.5-flash"}
    )
    panel = page.locator("#run-panel")
    panel.locator(".gen-badge", has_text="Completed").wait_for(timeout=60_000)

    texts = page.evaluate("window.__seen.texts")
    assert len(texts) >= 3, texts  # shown while it grew, not only at the end
    assert all(later.startswith(earlier[:-1]) for earlier, later in itertools.pairwise(texts))
    answer = panel.locator(".gen-text__body")
    assert answer.locator("strong", has_text="streaming").count() == 1  # Markdown, formatted
    assert "**" not in answer.inner_text()
    assert panel.locator(".gen-json", has_text='"status": "IN_PROGRESS"').count() == 0
    panel.locator("summary", has_text="Logs").click()
    assert panel.locator(".gen-log", has_text="step").count() >= 1

    panel.get_by_role("button", name="Copy text").click()
    panel.get_by_role("button", name="Copied").wait_for()
    page.screenshot(path="test-artifacts/stream-llm-answer.png", full_page=True)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "**streaming**" in copied and "word39" in copied


def test_image_previews_are_replaced_by_the_final_image(signed_in):
    page, base = signed_in
    run_streaming(page, base, "fal-ai/flux/schnell", {"prompt": "a red fox in the snow"})
    panel = page.locator("#run-panel")
    panel.locator(".gen-badge", has_text="Completed").wait_for(timeout=60_000)
    page.wait_for_function(
        "() => { const img = document.querySelector('#run-panel .gen-asset img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )

    previews = page.evaluate("window.__seen.previews")
    # Blurred previews first (the last partial is the output itself, at fal's URL).
    assert len([p for p in previews if p.startswith("data:image/jpeg")]) >= 2, previews
    assert previews[0].startswith("data:image/jpeg")
    assert panel.locator("img[data-preview-image]").count() == 0
    final = panel.locator(".gen-asset img").first.get_attribute("src")
    assert final.startswith("/media/generations/")
