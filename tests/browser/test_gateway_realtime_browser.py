"""The gateway's realtime relay from a real browser (Chromium): a web app elsewhere offers its
access token as a subprotocol; a Playground page uses the signed-in session."""

from __future__ import annotations

import base64
import io
import json

import msgpack
import pytest
from PIL import Image

from playground.gateway import tokens
from playground.gateway.realtime import SUBPROTOCOL
from tests.browser.test_gateway_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
PATH = "/gateway/fal/fal-ai/lcm-sd15-i2i/realtime"
# Opens the socket, sends one frame, and answers with the first thing that comes back.
ONE_EXCHANGE = """async ([url, protocols, frame]) => new Promise((resolve) => {
  const ws = protocols.length ? new WebSocket(url, protocols) : new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(new Uint8Array(frame));
  ws.onmessage = (event) => {
    const data = typeof event.data === "string"
      ? event.data : Array.from(new Uint8Array(event.data));
    resolve({protocol: ws.protocol, data});
    ws.close();
  };
  ws.onclose = (event) => resolve({closed: event.code});
})"""


def frame() -> list[int]:
    buffer = io.BytesIO()
    Image.new("RGB", (128, 128), "#3e8ef7").save(buffer, "JPEG")
    uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    return list(msgpack.packb({"prompt": "a blue sea", "image_url": uri, "seed": 9}))


def ws_url(live_app) -> str:
    return live_app.url.replace("http://", "ws://", 1) + PATH


def test_a_web_app_elsewhere_relays_with_its_token_and_a_bad_token_is_told_why(
    live_app, page, live_user
):
    secret = tokens.mint(live_user("rt-app", "pw-rt-app-123"), label="web app").secret
    page.set_content("<p>another site</p>")  # not Playground's origin, nor its CSP
    answer = page.evaluate(ONE_EXCHANGE, [ws_url(live_app), [SUBPROTOCOL, secret], frame()])
    assert answer["protocol"] == SUBPROTOCOL
    result = msgpack.unpackb(bytes(answer["data"]), raw=False)
    assert result["seed"] == 9 and result["images"][0]["width"] == 128

    refused = page.evaluate(
        ONE_EXCHANGE, [ws_url(live_app), [SUBPROTOCOL, "pgt_" + "n" * 43], frame()]
    )
    assert json.loads(refused["data"])["error"] == "UNAUTHORIZED"

    no_token = page.evaluate(ONE_EXCHANGE, [ws_url(live_app), [], frame()])
    assert no_token == {"closed": 1006}  # refused at the handshake: no token, not same-origin


def test_a_playground_page_relays_with_the_signed_in_session(live_app, page, live_user):
    sign_in(page, live_app.url, live_user)
    answer = page.evaluate(ONE_EXCHANGE, [ws_url(live_app), [], frame()])
    result = msgpack.unpackb(bytes(answer["data"]), raw=False)
    assert result["seed"] == 9 and result["images"]
