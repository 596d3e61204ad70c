"""The gateway's realtime relay (`/gateway/fal/<app>/realtime`) over the real router,
relaying to the live server's emulator."""

from __future__ import annotations

import base64
import io
import json

import msgpack
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw

from playground.asgi import application
from playground.gateway import tokens
from playground.gateway.models import RequestLog
from playground.gateway.realtime import SUBPROTOCOL, target_of
from playground.gateway.targets import TargetRefused

pytestmark = pytest.mark.django_db(transaction=True)
LCM = "fal-ai/lcm-sd15-i2i"
ROUTE = f"/gateway/fal/{LCM}/realtime"
SAME_ORIGIN = (b"origin", b"http://localhost")


def sketch() -> str:
    img = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(img).ellipse((64, 64, 192, 192), fill="#e5484d")
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def frame(**extra) -> bytes:
    return msgpack.packb({"prompt": "a red moon", "image_url": sketch(), **extra})


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(path: str = ROUTE, *, headers=(), subprotocols=None, raw_path=None):
    communicator = WebsocketCommunicator(
        application, path, headers=list(headers), subprotocols=subprotocols
    )
    if raw_path is not None:
        communicator.scope["raw_path"] = raw_path  # as daphne gives it: escapes kept
    connected, subprotocol = await communicator.connect(timeout=15)
    return communicator, connected, subprotocol


def key_header(secret: str, scheme: str = "Key") -> tuple[bytes, bytes]:
    return (b"authorization", f"{scheme} {secret}".encode())


async def closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=15)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)


async def received(communicator: WebsocketCommunicator, frames: list) -> bytes | str:
    output = await communicator.receive_output(timeout=15)
    assert output["type"] == "websocket.send", output
    data = output.get("bytes") if output.get("bytes") is not None else output["text"]
    frames.append(data)
    return data


def rows():
    return list(RequestLog.objects.filter(entrance="realtime").select_related("token"))


async def test_a_token_caller_sends_msgpack_and_gets_the_result_and_timing_back(
    emulator, alice, alice_token
):
    communicator, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    sent = frame(seed=3)
    await communicator.send_to(bytes_data=sent)
    frames: list = []
    result = msgpack.unpackb(await received(communicator, frames), raw=False)
    assert result["images"][0]["width"] == 256 and result["seed"] == 3
    timing = json.loads(await received(communicator, frames))
    assert timing["type"] == "x-fal-message" and timing["action"] == "timings"
    await communicator.disconnect()

    [row] = await sync_to_async(rows)()
    assert (row.user_id, row.kind, row.endpoint_id) == (alice.pk, "realtime", f"{LCM}/realtime")
    assert row.token is not None and row.status == 101 and row.method == "GET"
    assert row.latency_ms is not None and not row.error
    assert row.follow_ups == 3  # one input, its result, its timing
    assert row.bytes_in == len(sent)
    assert row.bytes_out == len(frames[0]) + len(frames[1].encode())


async def test_the_caller_never_sees_a_fal_token_or_key(emulator, alice_token, monkeypatch):
    from playground.fal.client import FalClient

    minted: list[str] = []
    original = FalClient.realtime_token

    async def watched(self, endpoint_id, **kwargs):
        minted.append(await original(self, endpoint_id, **kwargs))
        return minted[-1]

    monkeypatch.setattr(FalClient, "realtime_token", watched)
    communicator, connected, subprotocol = await connect(headers=[key_header(alice_token)])
    assert connected and subprotocol is None
    frames: list = []
    await communicator.send_to(bytes_data=frame())
    await received(communicator, frames)
    await received(communicator, frames)
    await communicator.send_to(bytes_data=b"\xc1 not msgpack")  # fal answers an error
    await received(communicator, frames)
    assert await closed_with(communicator) == 1000  # fal closed: so does the relay
    assert minted, "the relay minted a fal token"
    secrets = [minted[0].encode(), django_settings.LOCALFAL_KEY.encode(), b"fal_jwt_token"]
    for data in frames:
        data = data if isinstance(data, bytes) else data.encode()
        assert not any(secret in data for secret in secrets)
    assert json.loads(frames[-1])["type"] == "x-fal-error"
    await communicator.disconnect()
    [row] = await sync_to_async(rows)()
    assert row.follow_ups == 5 and row.state == "COMPLETED" and not row.error


async def test_a_browser_app_sends_the_token_as_a_subprotocol(emulator, alice_token):
    other_site = (b"origin", b"https://my-app.example")
    communicator, connected, subprotocol = await connect(
        headers=[other_site], subprotocols=[SUBPROTOCOL, alice_token]
    )
    assert connected and subprotocol == SUBPROTOCOL
    await communicator.send_to(bytes_data=frame())
    assert "images" in msgpack.unpackb(await communicator.receive_from(timeout=15), raw=False)
    await communicator.disconnect()


async def test_bearer_works_like_key(emulator, alice_token):
    communicator, connected, _ = await connect(headers=[key_header(alice_token, "Bearer")])
    assert connected
    await communicator.send_to(bytes_data=frame())
    assert "images" in msgpack.unpackb(await communicator.receive_from(timeout=15), raw=False)
    await communicator.disconnect()


async def test_a_signed_in_person_on_this_site_may_use_their_session(emulator, alice):
    cookie = (b"cookie", await sync_to_async(session_cookie)(alice))
    communicator, connected, _ = await connect(headers=[SAME_ORIGIN, cookie])
    assert connected
    await communicator.send_to(bytes_data=frame())
    assert "images" in msgpack.unpackb(await communicator.receive_from(timeout=15), raw=False)
    await communicator.disconnect()
    [row] = await sync_to_async(rows)()
    assert row.user_id == alice.pk and row.token is None


async def test_a_session_from_another_origin_is_refused_at_the_handshake(emulator, alice):
    cookie = (b"cookie", await sync_to_async(session_cookie)(alice))
    _, connected, _ = await connect(headers=[(b"origin", b"https://evil.example"), cookie])
    assert not connected
    assert await sync_to_async(rows)() == []


async def test_without_token_or_origin_the_handshake_is_refused(emulator):
    _, connected, _ = await connect()
    assert not connected


async def test_same_origin_without_a_session_is_told_why_and_closed_4401(emulator):
    communicator, connected, _ = await connect(headers=[SAME_ORIGIN])
    assert connected
    said = json.loads(await communicator.receive_from())
    assert said == {
        "type": "x-fal-error",
        "error": "UNAUTHORIZED",
        "reason": "Sign in, or send a personal access token.",
    }
    assert await closed_with(communicator) == 4401


def _revoked(user) -> str:
    minted = tokens.mint(user)
    tokens.revoke(user, minted.token.pk)
    return minted.secret


def _expired(user) -> str:
    minted = tokens.mint(user)
    type(minted.token).objects.filter(pk=minted.token.pk).update(
        expires=timezone.now() - timezone.timedelta(minutes=1)
    )
    return minted.secret


@pytest.mark.parametrize("kind", ["unknown", "not ours", "revoked", "expired", "no scheme"])
async def test_a_bad_token_is_closed_4401_before_fal_is_asked(emulator, alice, kind):
    secret = {
        "unknown": lambda: "pgt_" + "x" * 43,
        "not ours": lambda: "local:test",  # the emulator's key is not an access token
        "revoked": lambda: _revoked(alice),
        "expired": lambda: _expired(alice),
        "no scheme": lambda: tokens.mint(alice).secret,
    }[kind]
    value = await sync_to_async(secret)()
    header = (b"authorization", value.encode()) if kind == "no scheme" else key_header(value)
    communicator, connected, _ = await connect(headers=[header])
    assert connected
    assert await closed_with(communicator) == 4401
    assert await sync_to_async(rows)() == []


async def test_a_bad_token_as_a_subprotocol_is_closed_4401(emulator):
    communicator, connected, _ = await connect(subprotocols=[SUBPROTOCOL, "pgt_" + "y" * 43])
    assert connected
    assert await closed_with(communicator) == 4401


@pytest.mark.parametrize(
    ("path", "raw_path", "code"),
    [
        ("/gateway/fal/fal-ai/../../evil/realtime", None, 4403),
        ("/gateway/fal/fal-ai/lcm-sd15-i2i/../realtime", None, 4403),
        ("/gateway/fal/fal-ai/x/y/realtime", b"/gateway/fal/fal-ai/x%2F..%2Fy/realtime", 4403),
        ("/gateway/fal/fal-ai/x/realtime", b"/gateway/fal/fal-ai/x/%72ealtime", 4403),
        ("/gateway/fal/fal-ai/lcm/requests/abc/realtime", None, 4403),
        ("/gateway/fal/@evil.example/x/realtime", None, 4403),
        ("/gateway/fal/fal-ai//realtime", None, 4403),
        ("/gateway/fal/fal-ai/a~b/realtime", None, 4403),  # fal's app ids have no ~
        ("/gateway/fal/_owner/app/realtime", None, 4403),
        ("/gateway/fal//evil.example/x/realtime", None, 4403),
        ("/gateway/fal/fal-ai/x/realtime", b"//gateway/fal/fal-ai/x/realtime", 4400),
        ("/gateway/fal/fal-ai/x\\y/realtime", None, 4400),
        ("/gateway/fal/fal-ai/\uff45vil/realtime", None, 4400),
        ("/gateway/fal/fal-ai/x y/realtime", None, 4400),
    ],
)
async def test_a_hostile_app_path_is_closed_before_fal_is_asked(
    emulator, alice_token, path, raw_path, code, monkeypatch
):
    from playground.fal.client import FalClient

    async def no_minting(*args, **kwargs):
        raise AssertionError("fal was asked for a token")

    monkeypatch.setattr(FalClient, "realtime_token", no_minting)
    communicator, connected, _ = await connect(
        path, headers=[key_header(alice_token)], raw_path=raw_path
    )
    assert connected
    assert await closed_with(communicator) == code
    assert await sync_to_async(rows)() == []


@pytest.mark.parametrize(
    "path", ["/gateway/fal/fal-ai/lcm-sd15-i2i", "/gateway/fal/fal-ai/lcm-sd15-i2i/stream"]
)
def test_only_paths_ending_in_realtime_are_relayed(path):
    with pytest.raises(TargetRefused) as refused:
        target_of({"path": path, "raw_path": path.encode()})
    assert refused.value.status == 403


async def test_a_non_realtime_path_finds_no_relay(emulator, alice_token):
    _, connected, _ = await connect(f"/gateway/fal/{LCM}", headers=[key_header(alice_token)])
    assert not connected  # no token route matches; the browser routes want an Origin


async def test_a_frame_over_the_limit_closes_the_session_4413(emulator, alice_token, settings):
    from playground.realtime.frames import MAX_FRAME_BYTES

    communicator, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    await communicator.send_to(bytes_data=b"\x00" * (MAX_FRAME_BYTES + 1))
    assert await closed_with(communicator) == 4413
    await communicator.wait(timeout=5)
    [row] = await sync_to_async(rows)()
    assert "over" in row.error and row.follow_ups == 0


async def test_without_a_fal_key_the_session_is_closed_4403(alice_token, settings):
    settings.FAL_MODE = "real"
    settings.FAL_KEY = "server-key"
    settings.SERVER_KEY_FALLBACK = False
    communicator, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    assert await closed_with(communicator) == 4403


async def test_an_unreachable_fal_is_closed_4502_and_logged(alice_token, settings):
    settings.FAL_MODE = "local"
    settings.LOCALFAL_URL = "http://127.0.0.1:9/localfal"  # discard port: nothing listens
    settings.FAL_MAX_RETRIES = 0
    communicator, connected, _ = await connect(headers=[key_header(alice_token)])
    assert connected
    assert await closed_with(communicator) == 4502
    [row] = await sync_to_async(rows)()
    assert row.status == 502 and row.error and "local:test" not in row.error


# Over the network, through daphne: the handshake, subprotocols and close codes as real
# clients meet them.
def ws_url(live_app, path: str = ROUTE) -> str:
    return live_app.url.replace("http://", "ws://", 1) + path


async def test_over_the_network_a_server_app_relays_with_its_token(live_app, alice_token):
    from websockets.asyncio.client import connect as ws_connect

    headers = {"Authorization": f"Key {alice_token}"}
    async with ws_connect(ws_url(live_app), additional_headers=headers) as ws:
        await ws.send(frame(seed=5))
        result = msgpack.unpackb(await ws.recv(), raw=False)
        assert result["seed"] == 5 and result["images"]
        assert json.loads(await ws.recv())["type"] == "x-fal-message"


async def test_over_the_network_a_browser_app_offers_its_token_as_a_subprotocol(
    live_app, alice_token
):
    from websockets.asyncio.client import connect as ws_connect

    async with ws_connect(
        ws_url(live_app),
        subprotocols=[SUBPROTOCOL, alice_token],
        origin="https://my-app.example",
    ) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        await ws.send(frame())
        assert "images" in msgpack.unpackb(await ws.recv(), raw=False)


@pytest.mark.parametrize(
    ("path", "code"),
    [(ROUTE, 4401), ("/gateway/fal/fal-ai/x%2F..%2Fy/realtime", 4403)],
)
async def test_over_the_network_refusals_arrive_as_close_codes(live_app, path, code):
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import ConnectionClosed

    secret = "pgt_" + "z" * 43 if code == 4401 else await sync_to_async(_live_token)()
    headers = {"Authorization": f"Key {secret}"}
    async with ws_connect(ws_url(live_app, path), additional_headers=headers) as ws:
        said = json.loads(await ws.recv())
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    assert ws.close_code == code
    assert said["type"] == "x-fal-error" and said["reason"]


def _live_token() -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("dora", password="pw")
    return tokens.mint(user).secret


async def test_a_team_token_mints_with_the_team_key_and_fal_refusing_it_closes_4403(
    alice, team, settings, monkeypatch
):
    from playground.gateway import realtime
    from tests.jobs.test_team_runs import RecordKeys, credential

    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    await sync_to_async(credential)("team-key-5678", team=team)
    await sync_to_async(credential)("alice-key-1234", user=alice)
    secret = (await sync_to_async(tokens.mint)(alice, team=team)).secret
    transport = RecordKeys()  # fal answers 401 to the token request
    original = realtime.client_from_settings
    monkeypatch.setattr(
        realtime, "client_from_settings", lambda key: original(key=key, transport=transport)
    )
    communicator, connected, _ = await connect(headers=[key_header(secret)])
    assert connected
    said = json.loads(await communicator.receive_from())
    assert said["error"] == "FORBIDDEN" and "team-key" not in said["reason"]
    assert await closed_with(communicator) == 4403
    assert transport.keys == ["Key team-key-5678"]
    await communicator.disconnect()
    [row] = await sync_to_async(rows)()
    assert row.team_id == team.pk and row.status == 401 and row.state == "FAILED"


@pytest.mark.parametrize("via", ["subprotocol", "header"])
async def test_a_bogus_token_does_not_let_another_site_ride_the_session(emulator, alice, via):
    cookie = (b"cookie", await sync_to_async(session_cookie)(alice))
    bogus = "pgt_" + "b" * 43
    headers = [(b"origin", b"https://evil.example"), cookie]
    if via == "header":
        headers.append(key_header(bogus))
    communicator, connected, _ = await connect(
        headers=headers, subprotocols=[SUBPROTOCOL, bogus] if via == "subprotocol" else None
    )
    assert connected
    assert await closed_with(communicator) == 4401
    assert await sync_to_async(rows)() == []
