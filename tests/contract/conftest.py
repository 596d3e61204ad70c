"""The official Python client pointed at the live server's emulator (fal-protocol.md §11.3)."""

from __future__ import annotations

import fal_client
import pytest


@pytest.fixture
def fal(live_app, monkeypatch) -> fal_client.SyncClient:
    base = live_app.localfal
    ws_base = base.replace("http://", "ws://", 1)
    urls = {
        "RUN_URL_FORMAT": f"{base}/run/",
        "QUEUE_URL_FORMAT": f"{base}/queue/",
        "REALTIME_URL_FORMAT": f"{ws_base}/run/",
        "REST_URL": f"{base}/rest",
        "CDN_URL": f"{base}/cdn",
    }
    for name, url in urls.items():
        monkeypatch.setattr(fal_client.client, name, url)
    # Constructed after patching: the CDN token manager reads REST_URL when it is built.
    return fal_client.SyncClient(key="local:test")
