"""Several processes cooperate on Postgres + Redis: a browser on web process A watches a
generation that was submitted through web process B and run by a `runjobs` worker."""

from __future__ import annotations

import sys

import httpx
import pytest
from django.conf import settings

from playground.lib import liveserver
from tests.conftest import database_url_for_tests
from tests.jobs.test_kill import _up, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (settings.REDIS_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")),
        reason="needs Postgres + Redis: `make test` runs the suite a second time with both",
    ),
]


@pytest.fixture
def cluster(tmp_path):
    """An emulator, web processes A and B (no embedded runner), and one worker."""
    db = database_url_for_tests()
    port = liveserver.free_port()
    emulator = f"http://127.0.0.1:{port}/localfal"
    env = liveserver.process_env(tmp_path, database_url=db, LOCALFAL_SPEED="1")
    processes = [
        liveserver.spawn(
            [sys.executable, "manage.py", "localfal", "--port", str(port)],
            env,
            tmp_path / "emu.log",
        )
    ]
    wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), 30, "the emulator")
    common = {"RUNNER_EMBEDDED": "0", "LOCALFAL_URL": emulator}
    web_a = liveserver.start(tmp_path, database_url=db, name="web-a", **common)
    web_b = liveserver.start(tmp_path, database_url=db, name="web-b", **common)
    worker_env = liveserver.process_env(tmp_path, database_url=db, LOCALFAL_URL=emulator)
    processes.append(
        liveserver.spawn(
            [sys.executable, "manage.py", "runjobs"], worker_env, tmp_path / "worker.log"
        )
    )
    yield web_a, web_b
    for server in (web_a, web_b):
        server.stop()
    for process in processes:
        process.terminate()
        process.wait(timeout=15)


def test_a_browser_on_one_web_process_watches_a_worker_run_a_generation_submitted_via_another(
    cluster, page, live_user
):
    web_a, web_b = cluster
    live_user("alice", "pw-alice-123")
    page.goto(f"{web_a.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice-123")
    page.click("button[type=submit]")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    with httpx.Client(base_url=web_b.url, cookies=cookies, follow_redirects=False) as b:
        response = b.post(
            "/models/fal-ai/flux/schnell/run",
            data={"prompt": "a lighthouse", "num_inference_steps": "4"},
            headers={"X-CSRFToken": cookies["csrftoken"], "Referer": web_b.url + "/"},
        )
    assert response.status_code == 302, response.text[:500]
    page.goto(web_a.url + response.headers["Location"])

    status = page.locator(".gen-status")
    status.filter(has_text="Running").or_(status.filter(has_text="In queue")).wait_for(
        timeout=20_000
    )
    page.locator(".gen-log", has_text="step").first.wait_for(timeout=20_000)
    page.locator(".gen-badge", has_text="Completed").wait_for(timeout=30_000)
    page.locator(".gen-asset img").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gen-asset img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
