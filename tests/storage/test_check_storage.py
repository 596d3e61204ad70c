"""`manage.py check_storage` and the store's entry in /healthz, on disk and in a bucket."""

from __future__ import annotations

import time

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from playground.lib.liveserver import free_port
from playground.storage.config import default_storage_from_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_store(settings):
    """A bucket on a port nothing listens on, with a secret that must never be shown."""
    url = f"s3://gone?endpoint_url=http://127.0.0.1:{free_port()}&region=us-east-1"
    default = default_storage_from_env({"STORAGE_URL": url})
    default["OPTIONS"].update(access_key="AKIAEXAMPLE", secret_key="hunter2-secret")
    settings.STORAGES = {**settings.STORAGES, "default": default}


def test_check_storage_says_a_local_folder_is_writable(settings, capsys):
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env({})}

    call_command("check_storage")

    out = capsys.readouterr().out
    assert "Storage (FileSystemStorage) is reachable and writable." in out


def test_check_storage_says_a_bucket_is_writable_and_leaves_nothing(s3_media, capsys):
    call_command("check_storage")

    assert "Storage (PrivateS3Storage) is reachable and writable." in capsys.readouterr().out
    assert default_storage.listdir("") == ([], [])


def test_check_storage_fails_with_one_line_when_the_store_is_unreachable(unreachable_store):
    with pytest.raises(CommandError) as failed:
        call_command("check_storage")

    message = str(failed.value)
    assert message.startswith("Storage (PrivateS3Storage) failed: ")
    assert "\n" not in message and "hunter2" not in message


def test_check_storage_exits_1_when_the_folder_cannot_be_written(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env({})}
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked

    with pytest.raises(CommandError, match=r"Storage \(FileSystemStorage\) failed"):
        call_command("check_storage")


def test_healthz_reports_the_bucket(client, s3_media):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["storage"] == {"ok": True, "backend": "PrivateS3Storage"}


def test_healthz_is_503_when_the_store_is_unreachable(client, unreachable_store):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["storage"]["ok"] is False
    assert body["storage"]["backend"] == "PrivateS3Storage"
    assert body["storage"]["error"]
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["database"] == {"ok": True}  # the others still say how they are


def test_healthz_gives_up_on_a_store_that_hangs(client, settings, monkeypatch):
    from playground.core import health
    from playground.storage import probe

    monkeypatch.setattr(health, "STORAGE_TIMEOUT", 0.05)
    monkeypatch.setattr(probe, "_round_trip", lambda: time.sleep(0.3))

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["storage"]["error"] == "no reply within 0.05 s"
