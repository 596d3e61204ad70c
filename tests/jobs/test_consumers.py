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
