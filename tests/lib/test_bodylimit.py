"""The ASGI body guard: 413 before the app reads a body over the route's limit (S10)."""

from __future__ import annotations

import json

import pytest

from playground.lib.bodylimit import BodyLimitMiddleware, limit_for


class App:
    """An ASGI app that reads the whole body as Django's handler does, then answers."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope, receive, send) -> None:
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # Django drops the request without answering
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(path: str, chunks: list[bytes], headers=()) -> tuple[App, list[dict]]:
    app, sent = App(), []
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": list(headers)}
    await BodyLimitMiddleware(app)(scope, receive, send)
    return app, sent


def status_and_json(sent: list[dict]) -> tuple[int, dict]:
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    app, sent = await call("/healthz", [b"x" * 10], [(b"content-length", b"300000000")])

    assert not app.called
    status, body = status_and_json(sent)
    assert status == 413
    assert body == {"error": "This request is too large: the limit here is 1000 bytes."}


async def test_a_streamed_body_is_cut_off_at_the_limit_and_never_reaches_the_app(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    app, sent = await call("/healthz", [b"x" * 600, b"x" * 600, b"x" * 600])

    assert app.body == b"x" * 600  # the chunk that went over was never passed on
    assert status_and_json(sent)[0] == 413


async def test_a_body_within_the_limit_passes_untouched(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    app, sent = await call("/healthz", [b"x" * 500, b"x" * 500], [(b"content-length", b"1000")])

    assert app.body == b"x" * 1000
    assert sent[0]["status"] == 200


async def test_the_emulator_refuses_as_fal_does(settings):
    settings.LOCALFAL_MAX_UPLOAD_BYTES = 100

    _, sent = await call("/localfal/cdn/upload/tok", [b"x"], [(b"content-length", b"101")])

    status, body = status_and_json(sent)
    assert status == 413
    assert "too large" in body["detail"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/uploads/", 50 * 1024 * 1024 + 64 * 1024),
        ("/localfal/cdn/upload/abc", 7777),
        ("/localfal/cdn/multipart/abc/3", 7777),
        ("/localfal/cdn/files/upload", 7777),
        ("/webhooks/fal", 10 * 1024 * 1024),
        ("/localfal/queue/fal-ai/flux/dev", 2_621_440),
        ("/healthz", 2_621_440),
    ],
)
def test_each_route_has_its_limit(settings, path, expected):
    settings.LOCALFAL_MAX_UPLOAD_BYTES = 7777

    assert limit_for(path).max_bytes == expected
