"""Runs posted to a team, and which fal key a run uses (DESIGN.md resolution order)."""

from __future__ import annotations

import httpx
import pytest
from asgiref.sync import sync_to_async

from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.accounts.models import FalCredential, Membership, Role, Team
from playground.jobs.models import Generation, Status, Visibility
from playground.jobs.runner import Runner
from tests.jobs.conftest import SMALL, run_until_finished, submit

RUN_URL = "/models/fal-ai/flux/schnell/run"


def form(**extra):
    return {"prompt": "a fox", "image_size:branch": "0", **extra}


@pytest.mark.django_db
def test_a_member_posts_a_run_to_the_team(client_alice, team):
    response = client_alice.post(RUN_URL, form(__team=str(team.pk)), HTTP_HX_REQUEST="true")
    assert response.status_code == 201
    generation = Generation.objects.get()
    assert generation.team == team and generation.visibility == Visibility.TEAM


@pytest.mark.django_db
def test_without_a_team_the_run_stays_private(client_alice, team):
    assert client_alice.post(RUN_URL, form(), HTTP_HX_REQUEST="true").status_code == 201
    generation = Generation.objects.get()
    assert generation.team is None and generation.visibility == Visibility.PRIVATE


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, None])
def test_viewers_and_outsiders_cannot_run_for_a_team(client, charlie, team, role):
    if role:
        Membership.objects.create(user=charlie, team=team, role=role)
    client.force_login(charlie)
    response = client.post(RUN_URL, form(__team=str(team.pk)), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "cannot run models for that team" in response.json()["errors"]["__all__"][0]
    assert not Generation.objects.exists()


@pytest.mark.django_db
def test_a_junk_team_value_is_refused(client_alice, team):
    response = client_alice.post(RUN_URL, form(__team="studio"), HTTP_HX_REQUEST="true")
    assert response.status_code == 422


@pytest.mark.django_db
def test_the_model_page_offers_only_teams_one_can_run_for(client_alice, alice, team):
    watchers = Team.objects.create(name="Watchers", slug="watchers")
    Membership.objects.create(user=alice, team=watchers, role=Role.VIEWER)
    html = client_alice.get("/models/fal-ai/flux/schnell/").content.decode()
    assert 'name="__team"' in html and ">Studio<" in html
    assert "Watchers" not in html


# -- key resolution --------------------------------------------------------------------------
def credential(key: str, **holder) -> FalCredential:
    stored = FalCredential(**holder)
    stored.set_key(key)
    stored.save()
    return stored


@pytest.mark.django_db
def test_local_mode_always_uses_the_emulator(settings, alice, team):
    settings.FAL_MODE = "local"
    credential("alice-key-1234", user=alice)
    assert resolve_fal_key(alice.pk, team.pk) is None


@pytest.mark.django_db
def test_team_key_then_personal_key_then_server_key(settings, alice, team):
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    assert resolve_fal_key(alice.pk, team.pk) == "server-key-0000"
    credential("alice-key-1234", user=alice)
    assert resolve_fal_key(alice.pk, None) == "alice-key-1234"
    assert resolve_fal_key(alice.pk, team.pk) == "alice-key-1234"
    credential("team-key-5678", team=team)
    assert resolve_fal_key(alice.pk, team.pk) == "team-key-5678"
    assert resolve_fal_key(alice.pk, None) == "alice-key-1234"


@pytest.mark.django_db
def test_no_key_anywhere_is_a_clear_error(settings, alice):
    settings.FAL_MODE, settings.FAL_KEY = "fal", ""
    with pytest.raises(NoFalKey, match="add your key"):
        resolve_fal_key(alice.pk, None)


@pytest.mark.django_db
def test_a_key_encrypted_with_another_secret_stops_instead_of_using_the_next(settings, alice, team):
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    credential("team-key-5678", team=team)
    credential("alice-key-1234", user=alice)
    settings.SECRET_KEY = "another secret key, so another derived key"
    with pytest.raises(NoFalKey, match="Your team's fal key can no longer be read"):
        resolve_fal_key(alice.pk, team.pk)
    with pytest.raises(NoFalKey, match="Your fal key can no longer be read"):
        resolve_fal_key(alice.pk, None)


class RecordKeys(httpx.AsyncBaseTransport):
    """Answers every fal call with a 401 after noting which key was sent."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get("authorization", ""))
        return httpx.Response(401, json={"detail": "bad key"})


@pytest.mark.django_db(transaction=True)
async def test_the_runner_sends_the_team_key_for_team_runs(settings, alice, team):
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    await sync_to_async(credential)("team-key-5678", team=team)
    generation = await sync_to_async(submit)(alice, data=SMALL)
    await sync_to_async(Generation.objects.filter(pk=generation.pk).update)(team=team)
    transport = RecordKeys()
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])
    assert done.status == Status.FAILED
    assert transport.keys and set(transport.keys) == {"Key team-key-5678"}


@pytest.mark.django_db(transaction=True)
async def test_the_runner_fails_clearly_without_any_key(settings, alice):
    settings.FAL_MODE, settings.FAL_KEY = "fal", ""
    generation = await sync_to_async(submit)(alice, data=SMALL)
    transport = RecordKeys()
    [done] = await run_until_finished(Runner(transport=transport), [generation.code])
    assert done.status == Status.FAILED and "No fal key" in done.error["message"]
    assert transport.keys == []
