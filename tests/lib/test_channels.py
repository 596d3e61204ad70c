"""The in-process channel layer: channels' in-memory layer, delivering group messages at once."""

from __future__ import annotations

import asyncio

import pytest

from playground.lib.channels import InProcessChannelLayer


async def test_a_group_message_reaches_every_member_as_its_own_copy():
    layer = InProcessChannelLayer()
    first, second, outsider = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("generation.x", first)
    await layer.group_add("generation.x", second)
    message = {"type": "generation.changed", "html": "<li>step 1/8</li>", "to_seq": 3}
    await layer.group_send("generation.x", message)
    got = [await asyncio.wait_for(layer.receive(c), 1) for c in (first, second)]
    assert got == [message, message]
    got[0]["html"] = "changed by one consumer"
    assert got[1]["html"] == "<li>step 1/8</li>"  # copies, as channels' own layer makes
    assert outsider not in layer.channels  # nothing queued for a channel outside the group


async def test_a_full_member_misses_the_message_and_the_others_still_get_it():
    layer = InProcessChannelLayer(capacity=1)
    full, free = await layer.new_channel(), await layer.new_channel()
    for channel in (full, free):
        await layer.group_add("g", channel)
    await layer.send(full, {"type": "first"})
    await layer.group_send("g", {"type": "second"})
    assert (await layer.receive(free))["type"] == "second"
    assert (await layer.receive(full))["type"] == "first"
    assert layer.channels.get(full) is None or layer.channels[full].empty()


async def test_expired_messages_are_swept_at_most_once_a_second(monkeypatch):
    layer = InProcessChannelLayer(expiry=60)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_send("g", {"type": "old"})
    clock = {"now": 1000.0}
    monkeypatch.setattr("playground.lib.channels.time.monotonic", lambda: clock["now"])
    monkeypatch.setattr("channels.layers.time.time", lambda: 10**10)  # everything expired
    layer._last_sweep = clock["now"]
    await layer.group_send("other", {"type": "x"})  # within the second: no sweep
    assert channel in layer.channels
    clock["now"] += 1.5
    await layer.group_send("other", {"type": "x"})  # a second later: swept
    assert channel not in layer.channels
    assert channel not in layer.groups.get("g", {})  # channels' rule: expiry leaves groups


@pytest.mark.django_db  # the consumer closes stale connections on each message
async def test_a_handshake_refused_for_its_origin_holds_no_channel(settings):
    """channels' own denier subscribes a channel (a Redis read, with REDIS_URL) for every
    refused socket until the client leaves; ours holds none."""
    from channels.layers import channel_layers
    from channels.testing import WebsocketCommunicator

    from playground.asgi import application

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "playground.lib.channels.InProcessChannelLayer"}
    }
    channel_layers.backends.pop("default", None)  # a layer of its own, seen from empty
    try:
        layer = channel_layers["default"]
        communicator = WebsocketCommunicator(
            application, "/ws/runs/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await communicator.connect(timeout=5)
        assert not connected
        assert layer.channels == {}  # nothing waits on the layer for this socket
        await communicator.disconnect()
    finally:
        channel_layers.backends.pop("default", None)  # the next test gets the configured one
