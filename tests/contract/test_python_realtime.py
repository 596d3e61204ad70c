"""The official Python client's realtime API (fal-client 1.0.3) against the emulator.

Pointed at the live server as in test_python_client.py (module URL constants,
fal-protocol.md §11.3 option 1): token from `/rest/tokens/`, msgpack frames over
`ws://…/localfal/run/{owner}/{alias}/realtime`.
"""

from __future__ import annotations

import asyncio
import base64
import io

import fal_client
import fal_client.client
import httpx
import pytest
from fal_client.client import RealtimeError
from PIL import Image, ImageDraw
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.contract
LCM = "fal-ai/lcm-sd15-i2i"
KLEIN = "fal-ai/flux-2/klein/realtime"


def tokens_from(live_app, app: str = "lcm-sd15-i2i") -> str:
    """A token from the live server's own `/rest/tokens/` (it signs with its own secret)."""
    response = httpx.post(
        f"{live_app.localfal}/rest/tokens/",
        json={"allowed_apps": [app], "token_expiration": 60},
        headers={"Authorization": "Key local:test"},
        timeout=10,
    )
    return response.json()


def sketch(size: int = 512) -> str:
    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).ellipse((size // 4, size // 4, size * 3 // 4, size * 3 // 4), fill="red")
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def decoded(image: dict) -> Image.Image:
    data = image.get("content") or base64.b64decode(image["url"].partition(",")[2])
    return Image.open(io.BytesIO(data))


def test_send_and_recv_answer_each_frame(fal):
    frame = sketch()
    with fal.realtime(LCM) as connection:
        answers = []
        for prompt in ("a red moon", "a green field"):
            connection.send({"prompt": prompt, "image_url": frame, "seed": 5})
            answers.append(connection.recv())
    assert [a["seed"] for a in answers] == [5, 5]
    first, second = (decoded(a["images"][0]) for a in answers)
    assert first.size == second.size == (512, 512)
    assert first.tobytes() != second.tobytes()


def test_klein_raw_bytes_at_the_python_clients_doubled_realtime_path(fal):
    with fal.realtime(KLEIN, max_buffering=2) as connection:
        connection.send({"image_url": sketch(256), "prompt": "gold leaf"})
        answer = connection.recv()
    image = answer["images"][0]
    assert isinstance(image["content"], bytes)
    assert decoded(image).size == (image["width"], image["height"]) == (256, 256)


def test_a_bad_input_raises_realtime_error(fal):
    with fal.realtime(LCM) as connection:
        connection.send({"image_url": sketch(64)})
        with pytest.raises(RealtimeError) as caught:
            connection.recv()
    assert caught.value.error == "INTERNAL_ERROR" and "prompt" in caught.value.reason


def test_use_jwt_false_sends_the_key_on_the_handshake(fal):
    with fal.realtime(LCM, use_jwt=False) as connection:
        connection.send({"prompt": "no token", "image_url": sketch(64)})
        assert decoded(connection.recv()["images"][0]).size == (64, 64)


def test_the_async_client_too(fal, live_app):
    async def run() -> dict:
        client = fal_client.AsyncClient(key="local:test")
        async with client.realtime(LCM) as connection:
            await connection.send({"prompt": "async", "image_url": sketch(128)})
            return await connection.recv()

    answer = asyncio.run(run())
    assert decoded(answer["images"][0]).size == (128, 128)


def test_another_apps_token_is_refused(live_app, fal):
    ws_base = live_app.localfal.replace("http://", "ws://", 1)
    other = tokens_from(live_app, app="flux-2")
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_base}/run/{LCM}/realtime?fal_jwt_token={other}", open_timeout=5)
    assert refused.value.response.status_code == 403
