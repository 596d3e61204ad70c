"""A visitor's live panel (demo mode): the socket serves the session that started the run
and refuses everyone else, over the real router."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from playground.asgi import application
from playground.demo import visitors
from playground.jobs import actions
from playground.jobs.models import EventKind, Generation
from tests.demo.conftest import start_run, visitor
from tests.jobs.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


def visitor_with_a_run():
    """(session cookie header, generation) of a visitor who started a demo run."""
    client = visitor()
    assert start_run(client).status_code == 201
    code = client.session[visitors.SESSION_KEY][0]
    return cookie_of(client), Generation.objects.get(code=code)


def cookie_of(client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def another_visitors_cookie() -> bytes:
    client = visitor("198.51.100.9")
    client.get("/")
    client.session.save()  # a session of their own, holding no run
    session = client.session
    session[visitors.SESSION_KEY] = []
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return cookie_of(client)


async def connect(generation, cookie: bytes | None):
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(
        application, f"/ws/generations/{generation.code}/", headers=headers
    )
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_the_visitor_gets_the_replay_then_live_news(demo_mode):
    cookie, generation = await sync_to_async(visitor_with_a_run)()
    communicator, connected, _ = await connect(generation, cookie)
    assert connected
    assert f'id="gen-{generation.code}-status"' in await communicator.receive_from()

    await sync_to_async(actions.update_generation)(
        generation=generation,
        events=[(EventKind.LOG, {"lines": [{"message": "step 1/4", "level": "INFO"}]})],
    )

    assert "step 1/4" in await communicator.receive_from()
    await communicator.disconnect()


async def test_another_visitor_is_refused(demo_mode):
    _, generation = await sync_to_async(visitor_with_a_run)()
    others = await sync_to_async(another_visitors_cookie)()
    for cookie in (others, None):
        _, connected, code = await connect(generation, cookie)
        assert (connected, code) == (False, 4403)


async def test_signed_in_people_are_refused_a_visitors_run(demo_mode, charlie):
    from tests.jobs.test_consumers import session_cookie

    _, generation = await sync_to_async(visitor_with_a_run)()
    _, connected, code = await connect(generation, await sync_to_async(session_cookie)(charlie))
    assert (connected, code) == (False, 4403)


async def test_a_visitor_is_refused_a_signed_in_persons_run(demo_mode, alice):
    cookie, _ = await sync_to_async(visitor_with_a_run)()
    generation = await sync_to_async(submit)(alice)
    _, connected, code = await connect(generation, cookie)
    assert (connected, code) == (False, 4403)


async def test_without_demo_mode_the_visitors_session_opens_nothing(demo_mode):
    cookie, generation = await sync_to_async(visitor_with_a_run)()
    demo_mode.DEMO_MODE = False
    _, connected, code = await connect(generation, cookie)
    assert (connected, code) == (False, 4403)
