"""What an anonymous attacker would send to a real server (daphne, DEBUG off) for the
findings S10 (huge bodies), S12 (catastrophic patterns), S13 (junk ids and days).

Each probe must get a clear 4xx quickly; pytest-timeout guards against a hang.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings

from tests.catalog.patterns import HOSTILE, endpoint_with_pattern

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1024 * 1024


def raw_exchange(url: str, head: str, body_parts: list[bytes]) -> tuple[int, dict, bytes]:
    """Send a request head and some body bytes over a socket, then read the answer (the
    server must answer without waiting for the rest of the body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < _expected_size(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, payload


def _expected_size(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("content-length:"):
            return len(head) + 4 + int(line.split(":", 1)[1])
    return 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("request_line", "limit", "key"),
    [
        ("POST /healthz", 300 * MB, "error"),
        ("PUT /localfal/cdn/upload/no-such-token", None, "detail"),  # fal's shape
    ],
)
def test_a_body_declared_too_large_is_refused_before_it_is_sent(live_app, request_line, limit, key):
    length = limit or settings.LOCALFAL_MAX_UPLOAD_BYTES + 1
    head = f"{request_line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"

    status, headers, body = raw_exchange(live_app.url, head, [b"x" * 1024])

    assert status == 413
    assert headers["content-type"] == "application/json"
    assert "too large" in json.loads(body)[key]


@pytest.mark.timeout(60)
def test_a_chunked_body_over_the_limit_is_refused_as_it_goes_over(live_app):
    head = (
        "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * MB
    # 3 MB in 1 MB chunks, past the 2.5 MB default, and no end: the server must not wait.
    parts = [b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(3)]

    status, _, body = raw_exchange(live_app.url, head, parts)

    assert status == 413
    assert "too large" in json.loads(body)["error"]


@pytest.mark.timeout(60)
def test_an_upload_larger_than_a_form_but_within_the_upload_limit_still_works(live_app):
    auth = {"Authorization": f"Key {settings.LOCALFAL_KEY}"}
    initiated = httpx.post(
        f"{live_app.localfal}/rest/storage/upload/initiate",
        json={"content_type": "application/octet-stream", "file_name": "big.bin"},
        headers=auth,
    ).json()
    data = b"\x00" * (3 * MB)  # above the 2.5 MB a form or JSON body may hold

    put = httpx.put(initiated["upload_url"], content=data, timeout=30)
    stored = httpx.get(initiated["file_url"], timeout=30)

    assert put.status_code == 200
    assert stored.status_code == 200
    assert len(stored.content) == len(data)


# --- signed in (anyone who may sign up): S12 and S13 ------------------------------------------


@pytest.fixture
def mallory(live_app, live_user):
    """A signed-in stranger on the live server: an httpx client with a CSRF token."""
    live_user("mallory", "pw-mallory-12345")
    client = httpx.Client(base_url=live_app.url, timeout=30, follow_redirects=False)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"]
    login = client.post(
        "/accounts/login/",
        data={"username": "mallory", "password": "pw-mallory-12345", "csrfmiddlewaretoken": token},
    )
    assert login.status_code == 302
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    client.headers["Referer"] = f"{live_app.url}/"
    yield client
    client.close()


@pytest.mark.timeout(120, method="thread")
def test_catastrophic_patterns_do_not_hang_the_payload_view(mallory):
    endpoint_with_pattern("test/hostile-nested", r"^(a+)+$")
    endpoint_with_pattern("test/hostile-alternation", r"^(a|aa)+$")
    body = {"input": {"prompt": "x", "code": HOSTILE}}

    nested = mallory.post("/models/test/hostile-nested/payload", json=body)
    alternation = mallory.post("/models/test/hostile-alternation/payload", json=body)

    assert nested.status_code == 200  # the pattern was skipped
    assert alternation.status_code == 422
    assert alternation.json()["errors"]["code"] == [
        "This value took too long to check against its pattern."
    ]


@pytest.mark.timeout(120, method="thread")
def test_catastrophic_patterns_do_not_hang_the_emulator(live_app):
    endpoint_with_pattern("test/hostile-emulator", r"^(a|aa)+$")

    response = httpx.post(
        f"{live_app.localfal}/run/test/hostile-emulator",
        json={"prompt": "x", "code": HOSTILE},
        headers={"Authorization": f"Key {settings.LOCALFAL_KEY}"},
        timeout=30,
    )

    assert response.status_code == 422
    assert "took too long" in response.json()["detail"][0]["msg"]
    assert httpx.get(f"{live_app.url}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("team", ["²", "9" * 20])
def test_junk_team_ids_get_clear_refusals(mallory, team):
    from django.contrib.auth.models import User

    from tests.gallery.conftest import finished

    generation = finished(User.objects.get(username="mallory"))
    code = str(generation.code)

    run = mallory.post("/models/fal-ai/flux/schnell/run", data={"prompt": "x", "__team": team})
    move = mallory.post(f"/generations/{code}/team", data={"team": team})
    bulk = mallory.post("/gallery/bulk", data={"action": "move", "g": [code], "team": team})
    preset = mallory.post(
        "/presets/?endpoint=fal-ai/flux/schnell",
        data={"preset_name": "p", "preset_team": team, "prompt": "x"},
    )

    assert (run.status_code, move.status_code, preset.status_code) == (422, 403, 403)
    assert bulk.status_code == 302  # back to the gallery, with the refusal as a message


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "garbage", "2024-02-30"])
def test_gallery_days_out_of_range_are_ignored(mallory, day):
    assert mallory.get(f"/gallery/?until={day}&since={day}").status_code == 200


def test_a_team_name_with_a_line_break_is_refused(mallory):
    from playground.accounts.models import Team

    response = mallory.post("/teams/", data={"name": "Studio\r\nBcc: all@example.com"})

    assert response.status_code == 200
    assert "must be one line" in response.text
    assert not Team.objects.filter(name__contains="Bcc").exists()
