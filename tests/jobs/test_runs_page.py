"""The Runs page: every run of the person across models, filtered, paged, live."""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playground.asgi import application
from playground.jobs import actions
from playground.jobs.models import EventKind, Generation, Status
from tests.jobs.conftest import submit
from tests.jobs.test_consumers import session_cookie

URL = reverse("jobs:runs")
SDXL = "fal-ai/fast-sdxl"


def codes_in(html: str) -> list[str]:
    return re.findall(r'id="run-([0-9a-f-]{36})"', html)


def finish(generation, status=Status.COMPLETED):
    actions.finish_generation(generation=generation, status=status, output={})


@pytest.mark.django_db
def test_my_runs_of_every_model_in_flight_and_past_newest_first(client_alice, alice, bob, charlie):
    old = submit(alice, data={"prompt": "old fox"})
    finish(old)
    other_model = submit(alice, SDXL, data={"prompt": "an sdxl owl"})
    submit(charlie, data={"prompt": "not mine"})
    submit(bob, data={"prompt": "a teammate's"})
    page = client_alice.get(URL)
    assert page.status_code == 200
    assert codes_in(page.text) == [str(other_model.code), str(old.code)]
    assert "an sdxl owl" in page.text and "old fox" in page.text
    assert "not mine" not in page.text and "a teammate&#x27;s" not in page.text
    assert f'href="{URL}" aria-current="page">Runs<' in page.text  # in the nav


@pytest.mark.django_db
def test_signed_out_people_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_filters_by_status_and_model(client_alice, alice):
    waiting = submit(alice, data={"prompt": "waiting"})
    done = submit(alice, data={"prompt": "done"})
    finish(done)
    failed = submit(alice, SDXL, data={"prompt": "failed"})
    actions.finish_generation(generation=failed, status=Status.FAILED, error={"message": "Boom."})
    in_flight = client_alice.get(URL, {"status": "active"}).text
    assert codes_in(in_flight) == [str(waiting.code)]
    assert reverse("jobs:cancel", args=[waiting.code]) in in_flight  # in flight: cancellable
    assert reverse("jobs:cancel", args=[done.code]) not in client_alice.get(URL).text
    assert codes_in(client_alice.get(URL, {"status": "completed"}).text) == [str(done.code)]
    of_sdxl = client_alice.get(URL, {"model": SDXL}).text
    assert codes_in(of_sdxl) == [str(failed.code)] and "Boom." in of_sdxl
    both = client_alice.get(URL, {"model": SDXL, "status": "completed"}).text
    assert codes_in(both) == [] and "No runs match" in both
    # Junk is ignored, never a 500.
    junk = client_alice.get(URL, {"status": "<script>", "cursor": "%%%", "model": "x" * 999})
    assert junk.status_code == 200 and 'data-runs-head="1"' in junk.text


@pytest.mark.django_db
def test_pages_follow_each_other_without_gaps_or_repeats(client_alice, alice):
    made = [str(submit(alice, data={"prompt": f"run {i}"}).code) for i in range(35)]
    first = client_alice.get(URL)
    shown = codes_in(first.text)
    assert len(shown) == 30
    next_url = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client_alice.get(next_url, headers={"HX-Request": "true"})
    assert "<html" not in second.text  # just the next rows
    rest = codes_in(second.text)
    assert len(rest) == 5 and "Show more" not in second.text
    assert shown + rest == list(reversed(made))


@pytest.mark.django_db
def test_changing_filters_with_htmx_answers_the_list_only(client_alice, alice):
    submit(alice, data={"prompt": "a fox"})
    response = client_alice.get(
        URL, {"status": "active"}, headers={"HX-Request": "true", "HX-Target": "runs-results"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="runs-results"')
    assert response["HX-Push-Url"] == f"{URL}?status=active"
    assert 'data-runs-live="/ws/runs/?status=active"' in response.text


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_3_or_30_runs(client_alice, alice):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_alice.get(URL).status_code == 200
        return len(queries)

    for i in range(3):
        finish(submit(alice, data={"prompt": f"a {i}"}))
    few = count()
    for i in range(27):
        submit(alice, SDXL if i % 2 else "fal-ai/flux/schnell", data={"prompt": f"b {i}"})
    assert count() == few
    assert few <= 6, few  # session, user, rows, their assets, the model list


# ---- live ------------------------------------------------------------------------------


async def connect(user=None, query: str = ""):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/runs/?{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
async def test_a_new_run_and_its_ending_arrive_live(alice):
    communicator, connected, _ = await connect(alice)
    assert connected
    generation = await sync_to_async(submit)(alice, data={"prompt": "live fox"})
    added = json.loads(await communicator.receive_from())
    assert added["code"] == str(generation.code)
    assert added["created"] is True and added["matches"] is True
    assert "live fox" in added["html"] and "gen-badge--pending" in added["html"]

    await sync_to_async(actions.update_generation)(
        generation=generation,
        status=Status.RUNNING,
        events=[(EventKind.STATUS, {"status": "running"})],
    )
    running = json.loads(await communicator.receive_from())
    assert running["created"] is False and "gen-badge--running" in running["html"]
    # Log lines alone do not redraw the row.
    await sync_to_async(actions.update_generation)(
        generation=generation, events=[(EventKind.LOG, {"lines": [{"message": "step"}]})]
    )
    await sync_to_async(finish)(generation)
    ended = json.loads(await communicator.receive_from())
    assert "gen-badge--completed" in ended["html"]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_run_outside_the_filters_is_sent_as_not_matching(alice):
    communicator, connected, _ = await connect(alice, f"model={SDXL}")
    assert connected
    await sync_to_async(submit)(alice, data={"prompt": "a flux run"})
    message = json.loads(await communicator.receive_from())
    assert message["matches"] is False
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_others_hear_nothing_of_my_runs(alice, charlie):
    communicator, connected, _ = await connect(charlie)
    assert connected
    await sync_to_async(submit)(alice, data={"prompt": "private"})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_signed_out_sockets_are_refused():
    _, connected, code = await connect(None)
    assert not connected and code == 4403


@pytest.mark.django_db
def test_a_run_that_is_gone_is_not_sent(alice):
    from playground.jobs.runs_page import RunFilters, row_html

    generation = submit(alice)
    Generation.objects.filter(pk=generation.pk).update(deleted_at=generation.created)
    assert row_html(alice, str(generation.code), RunFilters()) is None
