"""Lists of runs that follow along: /ws/runs/ tells a person's pages when their runs change
status, and the dashboard re-reads its tiles (a fragment) on that news."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from playground.jobs import actions
from playground.jobs.models import EventKind, Status
from tests.jobs.conftest import stored_image, submit
from tests.jobs.test_consumers import connect, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def runs_socket(user=None):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, "/ws/runs/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_visitors_are_refused():
    _, connected, code = await runs_socket()
    assert not connected and code == 4403


async def test_the_owner_hears_each_status_change_and_others_hear_nothing(alice, charlie):
    mine, connected, _ = await runs_socket(alice)
    theirs, _, _ = await runs_socket(charlie)
    assert connected

    generation = await sync_to_async(submit)(alice)
    assert json.loads(await mine.receive_from()) == {
        "code": str(generation.code),
        "status": "pending",
    }
    await sync_to_async(actions.request_cancel)(generation=generation)
    await sync_to_async(actions.finish_generation)(
        generation=generation, status=Status.CANCELLED, error={"message": "Cancelled."}
    )
    assert json.loads(await mine.receive_from())["status"] == "cancelled"
    assert await theirs.receive_nothing(timeout=0.2)
    await mine.disconnect()
    await theirs.disconnect()


async def test_log_lines_are_no_news_for_the_lists(alice):
    generation = await sync_to_async(submit)(alice)
    socket, _, _ = await runs_socket(alice)
    await sync_to_async(actions.update_generation)(
        generation=generation, events=[(EventKind.LOG, {"lines": [{"message": "step 1/4"}]})]
    )
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


async def test_a_live_panel_stays_open_through_the_news_of_other_runs(alice):
    watched = await sync_to_async(submit)(alice)
    panel, connected, _ = await connect(watched, alice)
    assert connected
    await panel.receive_from()  # the replay
    await sync_to_async(submit)(alice)  # news on the person's group, which the panel shares
    assert await panel.receive_nothing(timeout=0.2)
    await sync_to_async(actions.finish_generation)(generation=watched, status=Status.COMPLETED)
    assert "Completed" in await panel.receive_from()
    await panel.disconnect()


def test_the_dashboard_fragment_shows_current_states_in_few_queries(
    client_alice, alice, django_assert_max_num_queries
):
    for _ in range(3):
        done = submit(alice)
        stored_image(done)
        actions.finish_generation(generation=done, status=Status.COMPLETED, output={})
    running = submit(alice)
    actions.update_generation(generation=running, status=Status.RUNNING)

    with django_assert_max_num_queries(8):
        response = client_alice.get("/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section aria-labelledby="generations-title" id="dash-latest"')
    assert "<header" not in html  # the list alone, not the page
    assert html.count('data-tile="status"') == 1 and "Running" in html


def test_text_and_training_runs_get_tiles_of_their_own(client_alice, alice):
    from django.core.files.base import ContentFile

    from playground.jobs.models import MediaAsset

    answer = submit(alice, "openrouter/router", {"prompt": "hi", "model": "m"})
    actions.finish_generation(
        generation=answer, status=Status.COMPLETED, output={"output": "Hello **there**"}
    )
    training = submit(alice, "fal-ai/flux-lora-fast-training", {"images_data_url": "x"})
    weights = MediaAsset(
        generation=training, kind="file", content_type="application/octet-stream", bytes=2048
    )
    weights.file.save("00-diffusers_lora_file.safetensors", ContentFile(b"w" * 2048), save=True)
    actions.finish_generation(generation=training, status=Status.COMPLETED, output={})

    html = client_alice.get("/").content.decode()

    assert 'data-tile="text"' in html and "Hello **there**" in html
    assert 'data-tile="training"' in html and "Training run" in html and "2.0\xa0KB" in html
