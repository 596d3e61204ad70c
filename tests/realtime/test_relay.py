"""Latest wins: one input in flight to fal, newer frames replace the waiting one."""

from __future__ import annotations

import asyncio

import pytest

from playground.fal.errors import FalAuthError, FalConnectionError
from playground.fal.realtime import RealtimeError, RealtimeReply
from playground.realtime.frames import InputFrame, unpack_result
from playground.realtime.relay import Relay

JPEG = b"\xff\xd8\xff" + b"frame"


class SlowModel:
    """An upstream that answers only when the test lets it, counting what is in flight."""

    def __init__(self) -> None:
        self.connected = False
        self.received: list[dict] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate = asyncio.Queue()
        self.closed = 0

    async def request(self, payload: dict, *, tag=None) -> RealtimeReply:
        self.connected = True
        self.received.append(payload)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        outcome = await self.gate.get()
        self.in_flight -= 1
        if isinstance(outcome, Exception):
            raise outcome
        image = {"content": b"out-" + payload["image_url"][-8:].encode(), "width": 4, "height": 4}
        return RealtimeReply({"images": [image], "seed": 1}, 0.01)

    async def aclose(self) -> None:
        self.connected = False
        self.closed += 1


class Browser:
    def __init__(self) -> None:
        self.texts: list[dict] = []
        self.results: list[tuple[dict, bytes]] = []
        self.arrived = asyncio.Event()

    async def send_text(self, message: dict) -> None:
        self.texts.append(message)
        self.arrived.set()

    async def send_bytes(self, data: bytes) -> None:
        self.results.append(unpack_result(data))
        self.arrived.set()

    async def wait_for(self, check) -> None:
        async with asyncio.timeout(5):
            while not check():
                self.arrived.clear()
                await self.arrived.wait()

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.texts if m["type"] == kind]


@pytest.fixture
async def relay():
    model, browser = SlowModel(), Browser()
    relay = Relay(
        endpoint_id="fal-ai/lcm-sd15-i2i",
        image_field="image_url",
        send_text=browser.send_text,
        send_bytes=browser.send_bytes,
        upstream=lambda hook: model,
        idle=30,
    )
    relay.set_params({"prompt": "a fox"})
    task = asyncio.create_task(relay.run())
    yield relay, model, browser
    task.cancel()
    await relay.aclose()


def frame(seq: int) -> InputFrame:
    return InputFrame(seq, JPEG + str(seq).encode(), "image/jpeg")


async def test_frames_arriving_while_fal_works_replace_each_other(relay):
    relay, model, browser = relay
    await relay.offer(frame(1))
    await browser.wait_for(lambda: len(model.received) == 1)
    for seq in (2, 3, 4):
        await relay.offer(frame(seq))
    assert [m["seq"] for m in browser.of_type("dropped")] == [2, 3]
    await model.gate.put("answer 1")
    await browser.wait_for(lambda: len(model.received) == 2)
    await model.gate.put("answer 4")
    await browser.wait_for(lambda: len(browser.results) == 2)
    assert [header["seq"] for header, _ in browser.results] == [1, 4]
    assert model.most_in_flight == 1
    assert model.received[1]["image_url"].startswith("data:image/jpeg;base64,")
    assert model.received[1]["prompt"] == "a fox"


async def test_a_result_carries_the_picture_and_a_summary(relay):
    relay, model, browser = relay
    await relay.offer(frame(5))
    await model.gate.put("go")
    await browser.wait_for(lambda: browser.results)
    header, picture = browser.results[0]
    assert picture.startswith(b"out-")
    assert header["width"] == 4 and header["seq"] == 5
    assert header["output"]["images"][0]["content"].endswith("bytes>")
    assert browser.of_type("status")[-1]["state"] == "live"
    assert relay.kept(5).frame.seq == 5


async def test_settings_apply_to_the_frames_after_them(relay):
    relay, model, browser = relay
    relay.set_params({"prompt": "an owl"})
    await relay.offer(frame(1))
    await model.gate.put("go")
    await browser.wait_for(lambda: browser.results)
    assert model.received[0]["prompt"] == "an owl"


async def test_an_invalid_form_holds_frames_back(relay):
    relay, model, browser = relay
    relay.set_params(None)
    await relay.offer(frame(1))
    await browser.wait_for(lambda: browser.of_type("error"))
    assert browser.of_type("error")[0]["code"] == "INVALID_INPUT"
    assert model.received == []


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (RealtimeError("INTERNAL_ERROR", "image_url: Field required"), "INTERNAL_ERROR"),
        (FalAuthError("no", status_code=401), "AUTH"),
        (FalConnectionError("fal's realtime connection keeps dropping"), "UPSTREAM"),
    ],
)
async def test_fal_errors_become_error_messages_for_that_frame(relay, failure, code):
    relay, model, browser = relay
    await relay.offer(frame(9))
    await model.gate.put(failure)
    await browser.wait_for(lambda: browser.of_type("error"))
    error = browser.of_type("error")[0]
    assert error["seq"] == 9 and error["code"] == code and error["message"]


async def test_an_idle_session_closes_the_fal_socket():
    model, browser = SlowModel(), Browser()
    relay = Relay(
        endpoint_id="fal-ai/lcm-sd15-i2i",
        image_field="image_url",
        send_text=browser.send_text,
        send_bytes=browser.send_bytes,
        upstream=lambda hook: model,
        idle=0.05,
    )
    relay.set_params({"prompt": "a fox"})
    task = asyncio.create_task(relay.run())
    await relay.offer(frame(1))
    await model.gate.put("go")
    await browser.wait_for(lambda: any(m.get("state") == "idle" for m in browser.texts))
    assert model.closed == 1
    await relay.offer(frame(2))  # the next frame opens a new session
    await model.gate.put("go")
    await browser.wait_for(lambda: len(browser.results) == 2)
    task.cancel()
    await relay.aclose()
