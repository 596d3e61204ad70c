"""RealtimeConsumer over the real router, relaying to the live server's emulator."""

from __future__ import annotations

import io
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image, ImageDraw

from playground.asgi import application
from playground.fal import config
from playground.jobs.models import Generation, MediaAsset, Status
from playground.realtime import relay as relay_module
from playground.realtime.frames import pack_input, unpack_result
from tests.jobs.test_team_runs import RecordKeys
from tests.support import bomb_png

pytestmark = pytest.mark.django_db(transaction=True)
LCM = "fal-ai/lcm-sd15-i2i"


@pytest.fixture
def emulator(live_app, settings):
    """The relay's fal is the live server's emulator (through the real network path)."""
    settings.LOCALFAL_URL = live_app.localfal
    settings.FAL_MODE = "local"
    return live_app


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(user=None, endpoint_id: str = LCM):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(
        application, f"/ws/realtime/{endpoint_id}/", headers=headers
    )
    connected, _ = await communicator.connect()
    return communicator, connected


def sketch(colour: str = "#e5484d") -> bytes:
    img = Image.new("RGB", (512, 512), "white")
    ImageDraw.Draw(img).rectangle((100, 100, 400, 400), fill=colour)
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Session:
    """A browser's side: every frame it receives is kept, in order."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.frames: list[str | bytes] = []

    async def next(self, timeout: float = 15) -> dict | tuple[dict, bytes]:
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.send", output
        data = output.get("bytes") if output.get("bytes") is not None else output["text"]
        self.frames.append(data)
        return unpack_result(data) if isinstance(data, bytes) else json.loads(data)

    async def until(self, predicate, timeout: float = 15):
        while True:
            message = await self.next(timeout)
            if predicate(message):
                return message

    async def timing(self, seq: int) -> dict:
        """fal's timing of frame `seq`: it may come just before or after the result."""

        def is_it(message) -> bool:
            return (
                isinstance(message, dict) and message["type"] == "timing" and message["seq"] == seq
            )

        seen = [json.loads(f) for f in self.frames if isinstance(f, str)]
        return next((m for m in seen if is_it(m)), None) or await self.until(is_it)

    async def params(self, **fields: str) -> dict:
        pairs = [[name, value] for name, value in fields.items()]
        await self.communicator.send_to(text_data=json.dumps({"type": "params", "fields": pairs}))
        return await self.until(lambda m: isinstance(m, dict) and m["type"] in ("valid", "invalid"))

    async def result(self, seq: int, picture: bytes) -> tuple[dict, bytes]:
        await self.communicator.send_to(bytes_data=pack_input(seq, picture))
        return await self.until(lambda m: isinstance(m, tuple) or m["type"] == "error")


async def open_session(user) -> Session:
    communicator, connected = await connect(user)
    assert connected
    session = Session(communicator)
    assert (await session.next())["state"] == "ready"
    return session


async def test_anonymous_visitors_are_refused():
    _, connected = await connect(None)
    assert not connected


@pytest.mark.parametrize("endpoint_id", ["fal-ai/flux/dev", "nobody/nothing"])
async def test_models_without_realtime_are_refused(alice, endpoint_id):
    _, connected = await connect(alice, endpoint_id)
    assert not connected


async def test_frames_go_through_to_the_model_and_outputs_come_back(alice, emulator):
    session = await open_session(alice)
    assert (await session.params(prompt="a red barn", seed="3"))["type"] == "valid"
    header, picture = await session.result(1, sketch())
    assert header["type"] == "result" and header["seq"] == 1
    assert header["output"]["seed"] == 3 and header["fal_ms"] > 0
    with Image.open(io.BytesIO(picture)) as output:
        assert output.size == (512, 512)
    other_header, other = await session.result(2, sketch("#3e8ef7"))
    assert other_header["seq"] == 2 and other != picture
    timing = await session.timing(2)
    assert timing["ms"] > 0
    await session.communicator.disconnect()


async def test_a_new_prompt_changes_the_output(alice, emulator):
    session = await open_session(alice)
    await session.params(prompt="a red barn", seed="3")
    _, first = await session.result(1, sketch())
    await session.params(prompt="a frozen lake", seed="3")
    _, second = await session.result(2, sketch())
    assert first != second
    await session.communicator.disconnect()


async def test_invalid_settings_are_reported_by_field_and_hold_frames(alice, emulator):
    session = await open_session(alice)
    answer = await session.params(prompt="a barn", strength="7")
    assert answer["type"] == "invalid" and "strength" in answer["errors"]
    error = await session.result(1, sketch())
    assert error["type"] == "error" and error["code"] == "INVALID_INPUT"
    await session.communicator.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        {"bytes_data": b"\x00"},
        {"bytes_data": pack_input(1, b"GIF89a not a jpeg")},
        {"text_data": "not json"},
        {"text_data": json.dumps({"type": "params", "fields": "prompt=x"})},
        {"text_data": json.dumps({"type": "launch"})},
    ],
)
async def test_malformed_messages_get_a_clear_error_and_the_session_goes_on(alice, message):
    session = await open_session(alice)
    await session.communicator.send_to(**message)
    error = await session.next()
    assert error["type"] == "error" and error["message"]
    assert (await session.params(prompt="still here"))["type"] == "valid"
    await session.communicator.disconnect()


async def test_a_frame_declaring_too_many_pixels_is_refused_before_it_goes_anywhere(alice):
    session = await open_session(alice)
    await session.communicator.send_to(bytes_data=pack_input(1, bomb_png()))
    error = await session.next()
    assert error["type"] == "error"
    assert error["message"] == "The image has 144.0 megapixels; the limit is 40 megapixels."
    await session.communicator.disconnect()


async def test_save_frame_stores_input_and_output_as_a_generation(alice, charlie, emulator):
    session = await open_session(alice)
    await session.params(prompt="a red barn", seed="11")
    _, picture = await session.result(1, sketch())
    await session.communicator.send_to(text_data=json.dumps({"type": "save", "seq": 1}))
    saved = await session.until(lambda m: isinstance(m, dict) and m["type"] == "saved")
    generation = await sync_to_async(Generation.objects.get)(owner=alice)
    assert saved["url"] == f"/generations/{generation.code}/"
    assert generation.status == Status.COMPLETED and generation.mode == "realtime"
    assert generation.input["prompt"] == "a red barn" and generation.input["seed"] == 11
    assets = await sync_to_async(list)(MediaAsset.objects.filter(generation=generation))
    assert [a.output_path for a in assets] == ["images.0", "input.image_url"]
    assert all(a.kind == "image" and a.thumbnail for a in assets)
    assert generation.output["images"][0]["url"] == assets[0].file.url
    assert generation.input["image_url"] == assets[1].file.url
    assert await sync_to_async(assets[0].file.read)() == picture
    # Stored under the usual access control: the owner sees the files, others get 404.
    owner, outsider = Client(), Client()
    await sync_to_async(owner.force_login)(alice)
    await sync_to_async(outsider.force_login)(charlie)
    assert (await sync_to_async(owner.get)(assets[1].file.url)).status_code == 200
    assert (await sync_to_async(outsider.get)(assets[1].file.url)).status_code == 404
    assert (await sync_to_async(outsider.get)(saved["url"])).status_code == 404
    await session.communicator.disconnect()


async def test_save_before_any_output_says_so(alice):
    session = await open_session(alice)
    await session.communicator.send_to(text_data=json.dumps({"type": "save", "seq": 1}))
    error = await session.next()
    assert error["type"] == "error" and "Nothing to save" in error["message"]
    await session.communicator.disconnect()


async def test_the_fal_key_is_in_no_frame_the_browser_receives(alice, emulator, settings):
    """The key is used (the emulator's token endpoint sees it), but never leaves the server:
    not in results, statuses, timings, nor error messages. Here the key is the emulator's,
    the only one it accepts."""
    secret = settings.LOCALFAL_KEY
    used: list[str] = []

    def with_the_secret(**kwargs):
        kwargs.pop("key", None)  # local mode: None, the emulator's
        client = original(key=secret, **kwargs)
        used.append(client._http.headers["Authorization"])
        return client

    original = config.client_from_settings
    relay_module.client_from_settings = with_the_secret
    try:
        session = await open_session(alice)
        await session.params(prompt="a red barn")
        await session.result(1, sketch())
        await session.timing(1)
        await session.params(prompt="")  # prompt is required: an invalid form
        await session.result(2, sketch())
        await session.communicator.send_to(text_data=json.dumps({"type": "save"}))
        await session.until(lambda m: isinstance(m, dict) and m["type"] == "saved")
        await session.communicator.disconnect()
    finally:
        relay_module.client_from_settings = original
    assert used == [f"Key {secret}"]
    assert len(session.frames) >= 7
    for data in session.frames:
        raw = data if isinstance(data, bytes) else data.encode()
        assert secret.encode() not in raw
        assert b"fal_jwt_token" not in raw


# -- whose key the relay uses --------------------------------------------------------------
@pytest.fixture
def fal_mode(settings, monkeypatch):
    """fal mode with a server key; the relay's client records keys instead of calling fal
    (fal's token endpoint refuses every key)."""
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    transport = RecordKeys()
    original = config.client_from_settings
    monkeypatch.setattr(
        relay_module, "client_from_settings", lambda **kw: original(transport=transport, **kw)
    )
    return transport


async def test_realtime_uses_the_persons_own_key_like_runs(alice, fal_mode):
    from playground.accounts.actions import set_fal_key

    await sync_to_async(set_fal_key)(key="alice-key-1234", user=alice)
    session = await open_session(alice)
    await session.params(prompt="a red barn")

    error = await session.result(1, sketch())

    assert error["type"] == "error" and error["code"] == "AUTH"
    assert fal_mode.keys and set(fal_mode.keys) == {"Key alice-key-1234"}
    await session.communicator.disconnect()


async def test_without_a_key_and_no_server_fallback_the_page_says_so(alice, fal_mode, settings):
    settings.SERVER_KEY_FALLBACK = False
    communicator, connected = await connect(alice)
    session = Session(communicator)

    status = await session.next()
    error = await session.next()
    await communicator.send_to(bytes_data=pack_input(1, sketch()))

    assert connected
    assert status == {"type": "status", "state": "error", "message": error["message"]}
    assert error["code"] == "NO_KEY" and "does not lend its own key" in error["message"]
    assert await communicator.receive_nothing(timeout=0.3)
    assert fal_mode.keys == []
    await communicator.disconnect()
