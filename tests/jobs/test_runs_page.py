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
from playground.jobs.models import Generation, Status
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
    assert 'data-runs-query="status=active"' in response.text


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


# ---- live: the row a page re-reads when it hears its run changed (jobs/live.py) ---------


def row_url(generation) -> str:
    return reverse("jobs:run_row", args=[generation.code])


@pytest.mark.django_db
def test_a_row_is_read_again_with_its_new_status(client_alice, alice):
    generation = submit(alice, data={"prompt": "live fox"})
    before = client_alice.get(row_url(generation)).text
    assert before.lstrip().startswith(f'<li class="run-row" id="run-{generation.code}"')
    assert "gen-badge--pending" in before and "live fox" in before
    finish(generation)
    assert "gen-badge--completed" in client_alice.get(row_url(generation)).text


@pytest.mark.django_db
def test_a_new_run_outside_the_filters_is_not_added(client_alice, alice):
    generation = submit(alice, data={"prompt": "a flux run"})
    url = row_url(generation)
    assert client_alice.get(url, {"new": "1", "model": SDXL}).status_code == 204
    assert client_alice.get(url, {"new": "1", "status": "active"}).status_code == 200
    # A row already shown is always re-read, whatever the filters.
    assert client_alice.get(url, {"model": SDXL}).status_code == 200


@pytest.mark.django_db
def test_rows_of_others_and_of_deleted_runs_are_404(client, alice, bob, charlie):
    generation = submit(alice)
    for other in (bob, charlie):
        client.force_login(other)
        assert client.get(row_url(generation)).status_code == 404
    Generation.objects.filter(pk=generation.pk).update(deleted_at=generation.created)
    client.force_login(alice)
    assert client.get(row_url(generation)).status_code == 404


@pytest.mark.django_db
def test_the_page_listens_to_the_run_news(client_alice):
    page = client_alice.get(URL).text
    assert "data-live-runs" in page and "js/liveruns.js" in page and "js/runs.js" in page


@pytest.mark.django_db(transaction=True)
async def test_the_owner_hears_of_a_new_run_and_its_ending(alice):
    """The news the page's socket relays (jobs/live.py), for the runs page's rows."""
    headers = [(b"origin", b"http://localhost")]
    headers.append((b"cookie", await sync_to_async(session_cookie)(alice)))
    communicator = WebsocketCommunicator(application, "/ws/runs/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    generation = await sync_to_async(submit)(alice, data={"prompt": "live fox"})
    assert json.loads(await communicator.receive_from()) == {
        "code": str(generation.code),
        "status": "pending",
    }
    await sync_to_async(finish)(generation)
    ended = json.loads(await communicator.receive_from())
    assert ended == {"code": str(generation.code), "status": "completed"}
    await communicator.disconnect()
