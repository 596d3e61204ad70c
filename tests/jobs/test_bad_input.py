"""Junk in the run form's team field is a clear 422, never a 500 (S13)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
RUN = "/models/fal-ai/flux/schnell/run"


@pytest.fixture(autouse=True)
def _answer_instead_of_raising(client):
    client.raise_request_exception = False


@pytest.mark.parametrize("team", ["²", "9" * 20])
def test_a_junk_team_id_in_the_run_form_is_refused_with_a_message(client_alice, team):
    response = client_alice.post(RUN, {"prompt": "a fox", "__team": team})

    assert response.status_code == 422
    assert "cannot run models for that team" in response.json()["errors"]["__all__"][0]
