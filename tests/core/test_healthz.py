from __future__ import annotations

import asyncio
import json

import pytest
from django.db import OperationalError
from django.urls import reverse

from playground.core import health
from playground.lib.liveserver import free_port

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    return free_port()


def test_healthz_reports_ok_on_the_test_setup(client, settings):
    response = client.get(reverse("healthz"))
    # The suite runs on the in-memory layer and again on Redis (REDIS_URL), and with media
    # on local disk or in a bucket (TEST_STORAGE=s3).
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    store = settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1]

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True},
        "channel_layer": {"ok": True, "backend": backend},
        "storage": {"ok": True, "backend": store},
    }


def test_healthz_is_never_cached(client):
    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_safe_methods(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_database_failure_gives_503_without_a_traceback(client, monkeypatch):
    def broken() -> None:
        raise OperationalError(
            "connection to server failed\nTraceback (most recent call last):\n  File x"
        )

    monkeypatch.setattr(health, "_select_one", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {
        "ok": False,
        "error": "OperationalError: connection to server failed",
    }
    assert body["channel_layer"]["ok"] is True
    assert "Traceback" not in response.content.decode()


def test_unreachable_redis_gives_503_without_leaking_its_password(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://:hunter2secret@127.0.0.1:{closed_port()}/0"]},
        }
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {"ok": True}
    assert body["channel_layer"]["ok"] is False
    assert body["channel_layer"]["backend"] == "RedisChannelLayer"
    assert body["channel_layer"]["error"]
    assert "hunter2secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


class SilentLayer:
    """Accepts messages and never delivers them, like a wedged broker."""

    async def new_channel(self, prefix: str = "specific") -> str:
        return f"{prefix}.silent!1"

    async def send(self, channel: str, message: dict) -> None:
        return None

    async def receive(self, channel: str) -> dict:
        await asyncio.sleep(60)
        return {}


def test_channel_layer_that_never_answers_times_out_with_503(client, monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", SilentLayer)
    monkeypatch.setattr(health, "CHANNEL_LAYER_TIMEOUT", 0.05)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["channel_layer"] == {
        "ok": False,
        "backend": "SilentLayer",
        "error": "no reply within 0.05 s",
    }


def test_missing_channel_layer_is_reported_as_down(client, monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["channel_layer"]["error"] == "no channel layer configured"


async def test_healthz_works_as_an_async_view(async_client):
    response = await async_client.get(reverse("healthz"))

    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ConnectionError("Error connecting to redis://:s3cret@cache:6379/0."),
            "ConnectionError: Error connecting to redis://***@cache:6379/0.",
        ),
        (
            RuntimeError("bad conninfo: host=db password=s3cret user=app"),
            "RuntimeError: bad conninfo: host=db password=*** user=app",
        ),
        (TimeoutError(), "TimeoutError"),
    ],
)
def test_errors_are_one_line_and_mask_credentials(error, expected):
    assert health.describe_error(error) == expected
