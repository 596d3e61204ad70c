"""The emulator's realtime WebSocket (fal-protocol.md §6) over the real router."""

from __future__ import annotations

import base64
import io
import json

import msgpack
import pytest
from channels.testing import WebsocketCommunicator
from PIL import Image, ImageChops, ImageDraw

from playground.asgi import application
from playground.localfal import tokens

pytestmark = pytest.mark.django_db(transaction=True)
LCM = "fal-ai/lcm-sd15-i2i"
# Not a browser, but the site's origin check wraps every WebSocket route (see routing.py).
ORIGIN = [(b"origin", b"http://localhost")]


def sketch(size: int = 512, colour: str = "#e5484d") -> bytes:
    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).ellipse((size // 4, size // 4, size * 3 // 4, size * 3 // 4), fill=colour)
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def data_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def picture_of(image: dict) -> Image.Image:
    data = image.get("content")
    if data is None:
        header, _, payload = image["url"].partition(",")
        assert header == "data:image/jpeg;base64"
        data = base64.b64decode(payload)
    return Image.open(io.BytesIO(data)).convert("RGB")


async def open_session(path: str, alias: str, *, query: str = "", headers=()):
    token = tokens.mint([alias])
    url = f"/localfal/run/{path}/realtime?fal_jwt_token={token}{query}"
    communicator = WebsocketCommunicator(application, url, headers=[*ORIGIN, *headers])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ask(communicator, payload: dict) -> dict:
    await communicator.send_to(bytes_data=msgpack.packb(payload, use_bin_type=True))
    return msgpack.unpackb(await communicator.receive_from(timeout=10), raw=False)


async def test_a_frame_comes_back_transformed_then_its_timing():
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    source = sketch()
    output = await ask(communicator, {"prompt": "a red moon", "image_url": data_uri(source)})
    image = output["images"][0]
    assert (image["width"], image["height"]) == (512, 512)
    result = picture_of(image)
    original = Image.open(io.BytesIO(source)).convert("RGB")
    difference = ImageChops.difference(result, original).getbbox()
    assert difference is not None, "the output must not be the input"
    assert output["nsfw_content_detected"] == [False] and "timings" in output
    meta = json.loads(await communicator.receive_from())
    assert meta["type"] == "x-fal-message" and meta["action"] == "timings"
    assert meta["timing"] > 0
    await communicator.disconnect()


async def test_the_prompt_and_seed_guide_the_output_and_a_seed_repeats_it():
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    frame = data_uri(sketch())
    first = await ask(communicator, {"prompt": "a forest", "image_url": frame, "seed": 7})
    await communicator.receive_from()  # timing
    again = await ask(communicator, {"prompt": "a forest", "image_url": frame, "seed": 7})
    await communicator.receive_from()
    other = await ask(communicator, {"prompt": "a desert", "image_url": frame, "seed": 7})
    await communicator.receive_from()
    reseeded = await ask(communicator, {"prompt": "a forest", "image_url": frame, "seed": 8})
    assert first["images"][0]["url"] == again["images"][0]["url"]
    assert first["seed"] == 7
    assert other["images"][0]["url"] != first["images"][0]["url"]
    assert reseeded["images"][0]["url"] != first["images"][0]["url"]
    await communicator.disconnect()


async def test_the_drawing_shows_through_the_output():
    """A real image-to-image transform: a different drawing, a different output."""
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    red = await ask(communicator, {"prompt": "p", "image_url": data_uri(sketch()), "seed": 1})
    await communicator.receive_from()
    blue = await ask(
        communicator, {"prompt": "p", "image_url": data_uri(sketch(colour="#3e8ef7")), "seed": 1}
    )
    centre = (256, 256)
    red_pixel = picture_of(red["images"][0]).getpixel(centre)
    blue_pixel = picture_of(blue["images"][0]).getpixel(centre)
    assert red_pixel[0] - red_pixel[2] > blue_pixel[0] - blue_pixel[2]
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["fal-ai/flux-2/klein", "fal-ai/flux-2/klein/realtime"])
async def test_klein_answers_raw_bytes_at_both_url_spellings(path):
    """fal-js never doubles `/realtime`; the Python client always appends it."""
    communicator = await open_session(path, "flux-2")
    output = await ask(communicator, {"image_url": data_uri(sketch(256)), "prompt": "gold"})
    image = output["images"][0]
    assert isinstance(image["content"], bytes) and "url" not in image
    assert picture_of(image).size == (256, 256)
    assert set(output) == {"images", "seed"}
    await communicator.disconnect()


async def test_a_text_to_image_endpoint_answers_the_prompt_alone():
    communicator = await open_session("fal-ai/fast-lcm-diffusion", "fast-lcm-diffusion")
    output = await ask(communicator, {"prompt": "a lighthouse", "image_size": "square"})
    assert picture_of(output["images"][0]).size == (512, 512)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        tokens.mint(["flux-2"]),  # another app's token
        tokens.mint(["lcm-sd15-i2i"], expiration=-5),  # expired
    ],
)
async def test_a_missing_or_wrong_token_is_refused_at_the_handshake(token):
    url = f"/localfal/run/{LCM}/realtime" + (f"?fal_jwt_token={token}" if token else "")
    communicator = WebsocketCommunicator(application, url, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_key_on_the_handshake_also_opens_a_session():
    """The Python client's `use_jwt=False` sends `Authorization: Key …` instead."""
    url = f"/localfal/run/{LCM}/realtime"
    headers = [*ORIGIN, (b"authorization", b"Key local:test")]
    communicator = WebsocketCommunicator(application, url, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()


async def test_an_unknown_app_is_refused():
    communicator = WebsocketCommunicator(
        application,
        f"/localfal/run/nobody/nothing/realtime?fal_jwt_token={tokens.mint(['nothing'])}",
        headers=ORIGIN,
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_bad_input_gets_an_x_fal_error_and_the_session_ends():
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    await communicator.send_to(bytes_data=msgpack.packb({"image_url": data_uri(sketch())}))
    error = json.loads(await communicator.receive_from())
    assert error["type"] == "x-fal-error" and error["error"] == "INTERNAL_ERROR"
    assert "prompt" in error["reason"]
    assert (await communicator.receive_output())["type"] == "websocket.close"


@pytest.mark.parametrize(
    "frame",
    [
        {"text_data": '{"prompt": "text frames are not inputs"}'},
        {"bytes_data": b"\xc1 not msgpack"},
        {"bytes_data": msgpack.packb({"prompt": "x", "image_url": "data:image/jpeg;base64,AAAA"})},
    ],
)
async def test_unreadable_frames_get_an_x_fal_error(frame):
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    await communicator.send_to(**frame)
    error = json.loads(await communicator.receive_from())
    assert error["type"] == "x-fal-error" and error["reason"]
    await communicator.disconnect()


async def test_an_idle_session_ends_with_timeout(settings):
    settings.LOCALFAL_REALTIME_IDLE_SECONDS = 0.2
    communicator = await open_session(LCM, "lcm-sd15-i2i")
    error = json.loads(await communicator.receive_from(timeout=5))
    assert error == {
        "type": "x-fal-error",
        "error": "TIMEOUT",
        "reason": "no inputs, reconnect when needed!",
    }
    assert (await communicator.receive_output())["type"] == "websocket.close"
