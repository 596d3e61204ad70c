"""Stream mode: status events feed the logs box, partial outputs are shown by kind (text
growing as Markdown, image previews, other fields), and only the newest partial is kept."""

from __future__ import annotations

import itertools

import pytest
from asgiref.sync import sync_to_async
from django.template.loader import render_to_string

from playground.fal.client import FalClient
from playground.fal.types import FalUrls
from playground.jobs.models import EventKind, Generation, Status
from playground.jobs.runner import Runner
from playground.jobs.streaming import failure_of, is_status_event
from tests.jobs.conftest import FaultHeaders, run_until_finished, submit

LLM = "openrouter/router"
ASK = {"prompt": "Say hello in **bold**", "model": "google/gemini-2.5-flash"}
FLUX = "fal-ai/flux/schnell"
SMALL = {"prompt": "a red fox", "image_size": {"width": 96, "height": 64}}


def test_queue_shaped_status_events_are_told_apart_from_outputs():
    assert is_status_event({"status": "IN_PROGRESS", "logs": [{"message": "step 1/4"}]})
    assert is_status_event({"status": "IN_QUEUE", "queue_position": 2})
    assert not is_status_event({"output": "Hel", "partial": True})
    # An app's own field named "status" is output, not fal's queue status.
    assert not is_status_event({"status": "IN_PROGRESS", "images": []})
    assert not is_status_event({"status": "draft", "logs": []})
    assert not is_status_event(["IN_PROGRESS"])


def test_an_error_event_is_told_apart_from_an_answer_with_no_error():
    assert failure_of({"output": "Hi", "partial": False, "error": None}) is None
    assert failure_of({"error": "boom", "error_type": "runner_server_error"}) == {
        "message": "boom",
        "type": "runner_server_error",
    }


async def emulator_events(live_app, endpoint_id: str, data: dict) -> list:
    fal = FalClient(key="local:test", urls=FalUrls.local(live_app.localfal))
    async with fal:
        return [event async for event in fal.stream(endpoint_id, data)]


@pytest.mark.django_db(transaction=True)
async def test_the_emulator_streams_an_answer_word_by_word(live_app):
    events = await emulator_events(live_app, LLM, ASK)

    texts = [e["output"] for e in events if e.get("partial")]
    final = events[-1]
    assert len(texts) >= 5
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))
    assert len(texts[-1]) > len(texts[0])
    assert final.get("partial") is not True and final["output"] == texts[-1]


@pytest.mark.django_db(transaction=True)
async def test_the_emulator_streams_image_previews_before_the_images(live_app):
    events = await emulator_events(live_app, FLUX, SMALL)

    previews = [e for e in events if e.get("partial")]
    assert len(previews) >= 2
    assert all(p["images"][0]["url"].startswith("data:image/jpeg;base64,") for p in previews)
    assert events[-1]["images"][0]["url"].startswith("http")
    assert events.index(previews[-1]) < len(events) - 1


@pytest.mark.django_db(transaction=True)
async def test_a_streamed_answer_keeps_its_logs_and_no_status_as_output(emulator, alice):
    generation = await sync_to_async(submit)(alice, LLM, ASK, mode="stream")
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])

    assert done.status == Status.COMPLETED, done.error
    assert "**bold**" in done.output["output"]
    events = await sync_to_async(lambda: list(done.events.order_by("seq")))()
    partials = [e.payload["data"] for e in events if e.kind == EventKind.PARTIAL]
    assert partials == [done.output]  # the earlier ones (text so far) were dropped
    logs = [e.payload["lines"] for e in events if e.kind == EventKind.LOG]
    assert any("step" in line["message"] for lines in logs for line in lines)


def result_html(generation: Generation, partial) -> str:
    return render_to_string(
        "jobs/_result.html", {"generation": generation, "partial": partial, "assets": []}
    )


@pytest.mark.django_db
def test_partial_text_is_shown_as_growing_markdown(alice):
    generation = submit(alice, LLM, ASK, mode="stream")
    Generation.objects.filter(pk=generation.pk).update(status=Status.RUNNING)
    generation.refresh_from_db()

    html = result_html(generation, {"output": "Hello **there", "partial": True})

    assert "gen-text--streaming" in html and "Hello" in html
    assert "Partial output" not in html and "&quot;partial&quot;" not in html
    html = result_html(generation, {"output": "Hello **there**", "partial": True})
    assert "<strong>there</strong>" in html


@pytest.mark.django_db
def test_partial_previews_are_pictures_and_other_fields_go_to_the_viewer(alice):
    generation = submit(alice, FLUX, SMALL, mode="stream")
    Generation.objects.filter(pk=generation.pk).update(status=Status.RUNNING)
    generation.refresh_from_db()
    preview = "data:image/jpeg;base64,AAAA"

    html = result_html(generation, {"images": [{"url": preview}], "seed": 7, "partial": True})

    assert f'<img src="{preview}"' in html
    assert "Partial output" in html and "&quot;seed&quot;: 7" in html
    assert "&quot;partial&quot;" not in html


@pytest.mark.django_db
def test_a_finished_answer_is_markdown_with_a_copy_button_for_its_source(alice):
    generation = submit(alice, LLM, ASK, mode="stream")
    answer = "# Hi\n\n`code` and <b onclick=x>html</b>"
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.COMPLETED, output={"output": answer}
    )
    generation.refresh_from_db()

    html = result_html(generation, None)

    assert "<h1>Hi</h1>" in html and "<code>code</code>" in html
    assert "onclick" not in html.replace("&lt;b onclick=x&gt;", "")
    assert f'data-copy-target="#gen-{generation.code}-text"' in html
    assert "# Hi" in html  # the Markdown source, for the copy button


@pytest.mark.django_db(transaction=True)
async def test_a_stream_that_ends_in_an_error_fails_with_its_message(emulator, alice):
    generation = await sync_to_async(submit)(alice, LLM, ASK, mode="stream")
    transport = FaultHeaders("app:fail")
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])

    assert done.status == Status.FAILED
    assert "Injected model failure" in done.error["message"]
    assert done.output is None


@pytest.mark.django_db(transaction=True)
async def test_a_streamed_image_run_is_costed_from_what_it_made(emulator, alice):
    """A stream's answer has no billable units header: the images it made are measured at
    the model's price (flux/schnell: per megapixel), as fal bills them."""
    from playground.usage.prices import cost_of

    generation = await sync_to_async(submit)(alice, FLUX, SMALL, mode="stream")
    [done] = await run_until_finished(Runner(transport=FaultHeaders("")), [generation.code])

    assert done.status == Status.COMPLETED, done.error
    assert done.billable_units == len(done.output["images"])  # 96x64: one megapixel each
    assert done.cost == await sync_to_async(cost_of)(FLUX, done.billable_units)
    assert done.cost > 0
