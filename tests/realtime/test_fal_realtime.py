"""playground.fal.realtime against a small local fal-like server: reconnects, errors, tokens."""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from playground.fal.errors import FalAuthError
from playground.fal.realtime import RealtimeError, RealtimeSession, parse_frame, realtime_url
from playground.fal.types import FalUrls


class FakeFal:
    """Scripted connections: each is a list of what to do with the inputs it receives."""

    def __init__(self, *scripts: list[str]) -> None:
        self.scripts = list(scripts)
        self.paths: list[str] = []
        self.idled = asyncio.Event()

    async def handler(self, ws) -> None:
        self.paths.append(ws.request.path)
        script = self.scripts.pop(0)
        if script and script[0] == "idle-timeout":
            await ws.send(json.dumps({"type": "x-fal-error", "error": "TIMEOUT", "reason": "idle"}))
            await ws.close()
            return
        for action in script:
            data = msgpack.unpackb(await ws.recv())
            if action == "drop":
                ws.transport.abort()  # the socket dies mid-request
                return
            if action == "error":
                await ws.send(
                    json.dumps({"type": "x-fal-error", "error": "INTERNAL_ERROR", "reason": "bad"})
                )
                await ws.close()
                return
            await ws.send(msgpack.packb({"echo": data["n"]}))
            await ws.send(json.dumps({"type": "x-fal-message", "action": "timings", "timing": 0.5}))
            if action == "answer, then idle":
                await ws.send(json.dumps({"type": "x-fal-error", "error": "TIMEOUT"}))
                await ws.close()
                self.idled.set()
                return
        await ws.wait_closed()


async def start(fake: FakeFal, refuse: bool = False):
    def process_request(connection, request):
        if refuse:
            return Response(403, "Forbidden", Headers(), b"no")
        return None

    server = await serve(fake.handler, "127.0.0.1", 0, process_request=process_request)
    port = server.sockets[0].getsockname()[1]
    return server, FalUrls.local(f"http://127.0.0.1:{port}/localfal")


def session(urls, **kwargs) -> tuple[RealtimeSession, list[str]]:
    minted: list[str] = []

    async def token() -> str:
        minted.append(f"jwt-{len(minted) + 1}")
        return minted[-1]

    return RealtimeSession("fal-ai/lcm-sd15-i2i", urls=urls, token=token, **kwargs), minted


async def test_answers_come_back_in_order_with_their_timings():
    fake = FakeFal(["answer", "answer"])
    server, urls = await start(fake)
    timings: list[tuple] = []
    rt, _ = session(urls, on_timing=lambda tag, s: timings.append((tag, s)))
    assert (await rt.request({"n": 1}, tag="a")).data == {"echo": 1}
    assert (await rt.request({"n": 2}, tag="b")).data == {"echo": 2}
    async with asyncio.timeout(5):
        while len(timings) < 2:
            await asyncio.sleep(0.01)
    assert timings == [("a", 0.5), ("b", 0.5)]
    assert fake.paths == ["/localfal/run/fal-ai/lcm-sd15-i2i/realtime?fal_jwt_token=jwt-1"]
    await rt.aclose()
    server.close()


async def test_a_dropped_socket_is_reopened_with_a_new_token_and_the_input_sent_again():
    fake = FakeFal(["drop"], ["answer"])
    server, urls = await start(fake)
    rt, minted = session(urls, sleep=lambda s: asyncio.sleep(0))
    assert (await rt.request({"n": 7})).data == {"echo": 7}
    assert rt.connects == 2 and minted == ["jwt-1", "jwt-2"]
    await rt.aclose()
    server.close()


async def test_an_idle_timeout_between_inputs_is_invisible_to_the_caller():
    fake = FakeFal(["answer, then idle"], ["answer"])
    server, urls = await start(fake)
    rt, _ = session(urls, sleep=lambda s: asyncio.sleep(0))
    assert (await rt.request({"n": 1})).data == {"echo": 1}
    await fake.idled.wait()  # fal ended the idle session while nothing was in flight
    assert (await rt.request({"n": 2})).data == {"echo": 2}
    assert rt.connects == 2
    await rt.aclose()
    server.close()


async def test_an_x_fal_error_is_raised_and_the_next_input_reconnects():
    fake = FakeFal(["error"], ["answer"])
    server, urls = await start(fake)
    rt, _ = session(urls)
    with pytest.raises(RealtimeError) as caught:
        await rt.request({"n": 1})
    assert caught.value.error == "INTERNAL_ERROR" and caught.value.reason == "bad"
    assert (await rt.request({"n": 2})).data == {"echo": 2}
    await rt.aclose()
    server.close()


async def test_a_refused_handshake_is_an_auth_error_that_never_shows_the_token():
    server, urls = await start(FakeFal(), refuse=True)
    rt, _ = session(urls)
    with pytest.raises(FalAuthError) as caught:
        await rt.request({"n": 1})
    assert "jwt-" not in str(caught.value)
    server.close()


def test_urls_never_double_realtime():
    real = FalUrls.real()
    assert realtime_url(real, "fal-ai/lcm-sd15-i2i", "t") == (
        "wss://fal.run/fal-ai/lcm-sd15-i2i/realtime?fal_jwt_token=t"
    )
    assert realtime_url(real, "fal-ai/flux-2/klein/realtime") == (
        "wss://fal.run/fal-ai/flux-2/klein/realtime"
    )


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (msgpack.packb({"images": []}), "Result"),
        ('{"type":"x-fal-message","action":"timings","timing":0.1}', "Meta"),
        ('{"type":"x-fal-error","error":"TIMEOUT","reason":"idle"}', "ErrorFrame"),
        ('{"status":"error","error":"Unauthorized"}', "ErrorFrame"),
        ("plain text", "Result"),
        (b"\xc1", "ErrorFrame"),
    ],
)
def test_frames_are_parsed_by_kind(message, kind):
    assert type(parse_frame(message)).__name__ == kind
