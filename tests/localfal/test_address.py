"""The runner reaches this server's own emulator whatever port it listens on."""

from __future__ import annotations

import pytest

from playground.fal.config import fal_urls
from playground.localfal import address


@pytest.fixture(autouse=True)
def unlearned(settings):
    settings.LOCALFAL_URL = ""
    settings.FAL_MODE = "local"
    address.forget()
    yield
    address.forget()


def test_the_address_is_learned_from_the_first_call_to_the_server(settings):
    address.learn({"type": "http", "server": ("127.0.0.1", 5123)})
    address.learn({"type": "http", "server": ("127.0.0.1", 9999)})  # first call wins
    assert address.emulator_url() == "http://127.0.0.1:5123/localfal"
    assert fal_urls().queue == "http://127.0.0.1:5123/localfal/queue"


@pytest.mark.parametrize(
    ("server", "url", "host"),
    [
        (("0.0.0.0", 5000), "http://127.0.0.1:5000/localfal", "127.0.0.1"),
        (("::", 5000), "http://[::1]:5000/localfal", "[::1]"),
        (("10.1.2.3", 80), "http://10.1.2.3:80/localfal", "10.1.2.3"),
        (("::1", 81), "http://[::1]:81/localfal", "[::1]"),
    ],
)
def test_the_learned_address_can_be_connected_to_and_is_an_allowed_host(
    settings, server, url, host
):
    settings.ALLOWED_HOSTS = ["studio.example.com"]
    address.learn({"type": "websocket", "server": server})
    assert address.emulator_url() == url
    assert host in settings.ALLOWED_HOSTS
    assert "studio.example.com" in settings.ALLOWED_HOSTS


def test_a_unix_socket_teaches_nothing(settings, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    address.learn({"type": "http", "server": ("/run/playground.sock", None)})
    address.learn({"type": "http"})
    assert address.emulator_url() == "http://127.0.0.1:8000/localfal"


def test_a_process_that_serves_nothing_assumes_the_procfile_port(monkeypatch):
    monkeypatch.setenv("PORT", "5000")
    assert address.emulator_url() == "http://127.0.0.1:5000/localfal"


def test_localfal_url_names_an_emulator_elsewhere(settings):
    settings.LOCALFAL_URL = "http://emulator.internal:8001/localfal"
    address.learn({"type": "http", "server": ("127.0.0.1", 5123)})
    assert address.emulator_url() == "http://emulator.internal:8001/localfal"
