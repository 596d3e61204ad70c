"""The emulator fetches input URLs from public addresses only, connected to as checked."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import httpx
import pytest
from django.test import AsyncClient
from PIL import Image

from playground.lib import egress
from playground.localfal import files
from playground.localfal.engine import reset_engine
from tests.lib.egress_fakes import PUBLIC, Recorder, Resolver, loopback_canary, redirect

KONTEXT = "/localfal/run/fal-ai/flux-kontext/dev"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def canary() -> Iterator[tuple[str, list[str]]]:
    with loopback_canary() as (port, hits):
        yield f"http://127.0.0.1:{port}", hits


@pytest.fixture
def network(monkeypatch) -> Recorder:
    recorder = Recorder(httpx.Response(200, content=png()))
    monkeypatch.setattr(egress, "pinned_sync_transport", recorder.transport)
    return recorder


def test_an_input_url_on_loopback_is_refused_without_a_request(canary):
    origin, hits = canary
    with pytest.raises(files.InputFileError, match=r"127\.0\.0\.1 is not a public address"):
        files.fetch_input(f"{origin}/secret.png")
    assert hits == []


def test_the_input_is_fetched_from_the_address_that_was_checked(canary, network, monkeypatch):
    """DNS rebinding: the name answers a public address, then loopback (where the canary
    listens). The system resolver is asked once; the checked address is connected to."""
    origin, hits = canary
    port = int(origin.rsplit(":", 1)[1])
    answers = [[PUBLIC], ["127.0.0.1"]]
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "files.example":
            return real(host, *args, **kwargs)
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert files.fetch_input(f"https://files.example:{port}/in.png") == png()
    assert network.addresses == [PUBLIC]
    assert network.sent[0].extensions["sni_hostname"] == "files.example"
    assert answers == [["127.0.0.1"]]  # one lookup only
    assert hits == []


def test_an_input_redirecting_to_a_private_address_is_refused(network, monkeypatch):
    network.responses = [redirect("http://169.254.169.254/latest/meta-data/")]
    monkeypatch.setattr(egress, "resolve_host", Resolver(files_example=[PUBLIC]))
    with pytest.raises(files.InputFileError, match=r"169\.254\.169\.254 is not a public"):
        files.fetch_input("https://files.example/in.png")
    assert network.addresses == [PUBLIC]


def test_an_input_answering_an_error_says_so_plainly(network, monkeypatch):
    network.responses = [httpx.Response(404)]
    monkeypatch.setattr(egress, "resolve_host", Resolver(files_example=[PUBLIC]))
    with pytest.raises(files.InputFileError, match="HTTP 404"):
        files.fetch_input("https://files.example/in.png")


@pytest.mark.django_db(transaction=True)
async def test_a_run_with_an_input_on_loopback_fails_with_fal_download_error(canary, settings):
    reset_engine()
    origin, hits = canary
    try:
        response = await AsyncClient().post(
            KONTEXT,
            {"prompt": "x", "image_url": f"{origin}/in.png"},
            content_type="application/json",
            headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
        )
    finally:
        reset_engine()
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "file_download_error"
    assert "127.0.0.1 is not a public address" in error["msg"]
    assert hits == []
