"""GenerationConsumer over the real router: access, replay, live fragments."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from playground.asgi import application
from playground.jobs import actions
from playground.jobs.models import EventKind, Status
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(generation, user=None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    path = f"/ws/generations/{generation.code}/"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_owner_gets_the_replay_then_live_fragments(alice):
    generation = await sync_to_async(submit)(alice)
    communicator, connected, _ = await connect(generation, alice)
    assert connected
    replay = await communicator.receive_from()
    assert f'id="gen-{generation.code}-status"' in replay
    assert "Pending" in replay
    await sync_to_async(actions.update_generation)(
        generation=generation,
        status=Status.RUNNING,
        events=[
            (EventKind.STATUS, {"status": "running"}),
            (
                EventKind.LOG,
                {"lines": [{"message": "step 3/28", "level": "INFO"}], "progress": 0.107},
            ),
        ],
    )
    live = await communicator.receive_from()
    assert "Running" in live
    assert "step 3/28" in live and 'hx-swap-oob="beforeend"' in live
    assert 'value="0.107"' in live
    await communicator.disconnect()


async def test_a_reconnect_replaces_the_log_list_instead_of_appending_to_it(alice):
    generation = await sync_to_async(submit)(alice)
    for message in ("first line", "second line"):
        await sync_to_async(actions.update_generation)(
            generation=generation,
            events=[(EventKind.LOG, {"lines": [{"message": message, "level": "INFO"}]})],
        )
    for _ in range(2):  # the same page reconnecting after a drop
        communicator, connected, _ = await connect(generation, alice)
        assert connected
        replay = await communicator.receive_from()
        logs_tag = re.search(rf'<ol[^>]*id="gen-{generation.code}-logs"[^>]*>', replay).group(0)
        assert 'hx-swap-oob="true"' in logs_tag  # replaced whole, never appended to
        assert replay.count("first line") == 1 and replay.count("second line") == 1
        await communicator.disconnect()


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
async def test_others_are_refused(alice, charlie, who):
    generation = await sync_to_async(submit)(alice)
    user = None if who == "anonymous" else charlie
    _, connected, code = await connect(generation, user)
    assert not connected
    assert code == 4403


async def test_a_foreign_origin_is_refused(alice):
    generation = await sync_to_async(submit)(alice)
    _, connected, _ = await connect(generation, alice, origin=b"http://evil.example")
    assert not connected


# -- the writer's fragment shortcut --------------------------------------------------------
async def send_change(generation, **message) -> None:
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(
        generation.group_name, {"type": "generation.changed", **message}
    )


async def test_a_fragment_that_follows_what_the_socket_showed_is_sent_as_is(alice):
    generation = await sync_to_async(submit)(alice)  # event 1: pending
    communicator, connected, _ = await connect(generation, alice)
    assert connected
    await communicator.receive_from()  # the replay, up to seq 1
    await send_change(generation, html="<p>from the writer</p>", from_seq=2, to_seq=2)
    assert await communicator.receive_from() == "<p>from the writer</p>"
    # An old message (already shown) is dropped: nothing reaches the socket.
    await send_change(generation, html="<p>stale</p>", from_seq=2, to_seq=2)
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_after_a_gap_the_socket_reads_the_database_instead(alice):
    generation = await sync_to_async(submit)(alice)
    communicator, connected, _ = await connect(generation, alice)
    assert connected
    await communicator.receive_from()
    # Events 2 and 3 are stored, but the socket only hears of 3: it must not skip 2.
    for message in ("line two", "line three"):
        await sync_to_async(actions.update_generation)(
            generation=generation,
            events=[(EventKind.LOG, {"lines": [{"message": message, "level": "INFO"}]})],
            notify_after=False,
        )
    await send_change(generation, html="<p>only three</p>", from_seq=3, to_seq=3)
    caught_up = await communicator.receive_from()
    assert "line two" in caught_up and "line three" in caught_up
    assert "only three" not in caught_up
    await communicator.disconnect()


async def test_a_change_already_read_from_the_database_is_not_read_again(alice):
    generation = await sync_to_async(submit)(alice)
    communicator, connected, _ = await connect(generation, alice)
    assert connected
    await communicator.receive_from()
    for message in ("line two", "line three"):
        await sync_to_async(actions.update_generation)(
            generation=generation,
            events=[(EventKind.LOG, {"lines": [{"message": message, "level": "INFO"}]})],
            notify_after=False,
        )
    # Partial outputs come without a fragment: the first such news reads both lines...
    await send_change(generation, to_seq=2)
    caught_up = await communicator.receive_from()
    assert "line two" in caught_up and "line three" in caught_up
    # ...and the news of the second, already shown, costs no read and sends nothing.
    await send_change(generation, to_seq=3)
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.django_db
def test_a_status_written_between_the_panels_two_reads_is_never_hidden(alice):
    """The runner may commit between the panel's read of the events and of the run. The
    status shown must be at least as new as the last event it says it showed, or the news
    of that event would be skipped as already shown and the panel stay on "Pending"."""
    from django.db import connection

    from playground.jobs.panel import render_update

    generation = submit(alice)  # seq 1: pending
    wrote: list[bool] = []

    def runner_commits_after_the_first_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not wrote:
            wrote.append(True)
            actions.update_generation(
                generation=generation,
                status=Status.RUNNING,
                events=[(EventKind.STATUS, {"status": "running"})],
                notify_after=False,
            )
        return result

    with connection.execute_wrapper(runner_commits_after_the_first_read):
        html, last_seq = render_update(generation.pk, 0)
    assert wrote
    assert "Running" in html or last_seq < 2, (last_seq, html[:300])


@pytest.mark.django_db
def test_the_writers_fragment_equals_what_the_database_renders(alice):
    from playground.jobs.panel import render_update

    generation = submit(alice)
    events = actions.update_generation(
        generation=generation,
        status=Status.RUNNING,
        events=[
            (EventKind.STATUS, {"status": "running"}),
            (EventKind.LOG, {"lines": [{"message": "step 2/4", "level": "INFO"}], "progress": 0.5}),
        ],
        notify_after=False,
    )
    message = actions.change_message(generation, events)
    assert (message["from_seq"], message["to_seq"]) == (2, 3)
    assert message["html"] == render_update(generation.pk, 1)[0]


@pytest.mark.django_db
def test_a_finished_generation_has_no_shortcut(alice):
    generation = submit(alice)
    events = actions.finish_generation(
        generation=generation, status=Status.FAILED, error={"message": "no"}, notify_after=False
    )
    message = actions.change_message(generation, events)
    assert "html" not in message
    assert message["to_seq"] == events[-1].seq  # so a socket past it does not read again


@pytest.mark.django_db
def test_a_wrong_sequence_guess_still_appends_in_order(alice):
    generation = submit(alice)  # seq 1 taken
    events = actions.update_generation(
        generation=generation,
        events=[(EventKind.LOG, {"lines": []}), (EventKind.LOG, {"lines": []})],
        first_seq=1,
        notify_after=False,
    )
    assert [e.seq for e in events] == [2, 3]


@pytest.mark.django_db
def test_log_lines_alone_leave_the_status_header_alone(alice):
    generation = submit(alice)
    line = {"message": "step 2/4 <b>", "level": "INFO", "timestamp": "2026-01-01T00:00:00+00:00"}
    events = actions.update_generation(
        generation=generation,
        events=[(EventKind.LOG, {"lines": [line], "progress": 0.5})],
        notify_after=False,
    )
    html = actions.change_message(generation, events, with_status=False)["html"]
    assert f'id="gen-{generation.code}-status"' not in html
    assert 'hx-swap-oob="beforeend"' in html and "step 2/4 &lt;b&gt;" in html
    assert 'value="0.5"' in html and 'data-ts="2026-01-01T00:00:00+00:00"' in html
    # With a "retrying" notice on show, the header is drawn again so the notice goes away.
    html = actions.change_message(generation, events, with_status=True)["html"]
    assert f'id="gen-{generation.code}-status"' in html
