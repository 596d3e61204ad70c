"""Junk ids and days in gallery forms and filters: a clear answer, never a 500 (S13)."""

from __future__ import annotations

import base64

import pytest

from playground.gallery.models import Preset
from tests.gallery.conftest import finished

pytestmark = pytest.mark.django_db
JUNK_IDS = ["²", "9" * 20]


@pytest.fixture(autouse=True)
def _answer_instead_of_raising(client):
    client.raise_request_exception = False


@pytest.mark.parametrize("team", JUNK_IDS)
def test_moving_a_generation_to_a_junk_team_is_forbidden(client_alice, alice, team):
    generation = finished(alice)

    response = client_alice.post(f"/generations/{generation.code}/team", {"team": team})

    assert response.status_code == 403
    generation.refresh_from_db()
    assert generation.team is None


@pytest.mark.parametrize("team", JUNK_IDS)
def test_bulk_moving_to_a_junk_team_says_so(client_alice, alice, team):
    generation = finished(alice)

    response = client_alice.post(
        "/gallery/bulk", {"action": "move", "g": [str(generation.code)], "team": team}, follow=True
    )

    assert response.status_code == 200
    assert "You cannot post to that team." in response.content.decode()


@pytest.mark.parametrize("team", JUNK_IDS)
def test_sharing_a_preset_with_a_junk_team_is_refused(client_alice, team):
    response = client_alice.post(
        "/presets/?endpoint=fal-ai/flux/schnell",
        {"preset_name": "Foxes", "preset_team": team, "prompt": "a fox"},
    )

    assert response.status_code == 403
    assert "You cannot share with that team." in response.content.decode()
    assert not Preset.objects.exists()


@pytest.mark.parametrize("name", ["until", "since"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "garbage", "2024-02-30"])
def test_gallery_ignores_days_it_cannot_use(client_alice, alice, name, day):
    finished(alice, "a lighthouse")

    response = client_alice.get(f"/gallery/?{name}={day}")

    assert response.status_code == 200
    assert "a lighthouse" in response.content.decode()


def test_gallery_ignores_a_cursor_with_an_id_beyond_bigint(client_alice, alice):
    finished(alice, "a lighthouse")
    raw = f"2030-01-01T00:00:00+00:00|{'9' * 20}".encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = client_alice.get(f"/gallery/?cursor={cursor}")

    assert response.status_code == 200
    assert "a lighthouse" in response.content.decode()
