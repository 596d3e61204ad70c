"""Many machines, one product: a generation run by a worker on machine A (a data folder of
its own) is shown, with its files, by a web process on machine B (another data folder),
through the shared object store. Both use the test database, as a real cluster shares
Postgres; nothing else is shared but the bucket and the secrets every machine is given."""

from __future__ import annotations

import sys

import httpx
import pytest
from django.conf import settings

from playground.jobs.models import Generation, Status
from playground.lib import liveserver
from tests.conftest import database_url_for_tests
from tests.jobs.conftest import submit
from tests.jobs.test_kill import _up, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def machines(tmp_path, bucket):
    """Machine A: the emulator (standing in for fal) and a `runjobs` worker. Machine B: a
    web process without a runner. Each with a DATA_DIR of its own."""
    folder_a, folder_b = tmp_path / "machine-a", tmp_path / "machine-b"
    folder_a.mkdir(), folder_b.mkdir()
    shared = {
        "STORAGE_URL": bucket,
        # What every machine of a cluster is given alike (README, Production topology).
        "SECRET_KEY": settings.SECRET_KEY,
        "LOCALFAL_KEY": settings.LOCALFAL_KEY,
    }
    db = database_url_for_tests()
    port = liveserver.free_port()
    emulator = f"http://127.0.0.1:{port}/localfal"
    env_a = liveserver.process_env(folder_a, database_url=db, LOCALFAL_SPEED="0.01", **shared)
    processes = [
        liveserver.spawn(
            [sys.executable, "manage.py", "localfal", "--port", str(port)],
            env_a,
            folder_a / "emulator.log",
        )
    ]
    wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), 30, "the emulator")
    worker_env = {**env_a, "LOCALFAL_URL": emulator, "RUNNER_POLL_SECONDS": "0.2"}
    processes.append(
        liveserver.spawn(
            [sys.executable, "manage.py", "runjobs"], worker_env, folder_a / "worker.log"
        )
    )
    web_b = liveserver.start(folder_b, database_url=db, RUNNER_EMBEDDED="0", **shared)
    yield folder_a, web_b
    web_b.stop()
    for process in processes:
        process.terminate()
        process.wait(timeout=15)


def _session(client, user) -> dict[str, str]:
    """Cookies of a signed-in session, stored in the shared database like any log-in."""
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_a_run_made_on_machine_a_is_shown_with_its_files_by_machine_b(
    machines, alice, charlie, client
):
    folder_a, web_b = machines
    data = {"prompt": "a lighthouse", "image_size": {"width": 64, "height": 48}}
    generation = submit(alice, data={**data, "output_format": "png"})
    finished = Generation.objects.filter(pk=generation.pk, status=Status.COMPLETED)
    wait_for(finished.exists, 60, "the worker on machine A to finish the run")
    asset = generation.assets.get()

    with httpx.Client(base_url=web_b.url, cookies=_session(client, alice)) as b:
        page = b.get(f"/generations/{generation.code}/")
        picture = b.get(asset.file.url)
        thumbnail = b.get(asset.thumbnail.url)
        store = b.get("/healthz").json()["storage"]
    assert page.status_code == 200 and asset.file.url in page.text
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"
    assert len(picture.content) == asset.bytes and picture.content.startswith(b"\x89PNG")
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert store == {"ok": True, "backend": "PrivateS3Storage"}
    # Neither machine kept the files on its own disk: they are only in the bucket.
    for folder in (folder_a, web_b.log_path.parent):
        assert not list((folder / "media").glob("generations/**/*.png"))

    with httpx.Client(base_url=web_b.url, cookies=_session(client, charlie)) as outsider:
        assert outsider.get(asset.file.url).status_code == 404
    assert httpx.get(f"{web_b.url}{asset.file.url}").status_code == 302  # to log in
