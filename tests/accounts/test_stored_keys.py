"""Stored fal keys: several encryption keys (MultiFernet), `rotate_keys`, the deploy check,
SERVER_KEY_FALLBACK, unreadable keys failing clearly, and who sees a team key's last four."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from playground.accounts.actions import set_fal_key
from playground.accounts.credentials import NoFalKey, resolve_fal_key
from playground.accounts.models import FalCredential
from playground.lib import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
TEAM_KEY = "team-key-abcd-5678"


def stored(user=None, team=None, key: str = "alice-key-1234") -> FalCredential:
    return set_fal_key(key=key, user=user, team=team)


def make_unreadable(credential: FalCredential) -> None:
    """As if it was stored under an encryption key this server no longer has."""
    foreign = Fernet(Fernet.generate_key()).encrypt(b"lost-key-9999").decode()
    FalCredential.objects.filter(pk=credential.pk).update(encrypted_key=foreign)


def raw(credential: FalCredential) -> str:
    return FalCredential.objects.get(pk=credential.pk).encrypted_key


# -- several keys ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_first_key_encrypts_and_every_key_decrypts(settings, alice):
    settings.FIELD_ENCRYPTION_KEY = OLD
    credential = stored(alice)

    settings.FIELD_ENCRYPTION_KEY = f"{NEW}, {OLD}"

    assert FalCredential.objects.get(pk=credential.pk).get_key() == "alice-key-1234"
    assert Fernet(NEW.encode()).decrypt(crypto.encrypt("x").encode()) == b"x"


def test_a_malformed_key_stops_the_server_with_a_clear_message():
    from tests.accounts.test_signup_policy import setting_in_a_fresh_process

    said = setting_in_a_fresh_process("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY=f"{NEW},junk")

    assert "FIELD_ENCRYPTION_KEY: key 2 is not a Fernet key" in said


@pytest.mark.django_db
def test_rotate_keys_moves_every_secret_to_the_first_key_and_is_idempotent(
    settings, alice, django_user_model
):
    from playground.accounts.models import Team

    settings.FIELD_ENCRYPTION_KEY = ""  # stored before any key was configured
    first = stored(alice)
    settings.FIELD_ENCRYPTION_KEY = OLD
    second = stored(team=Team.objects.create(name="Studio", slug="studio"), key=TEAM_KEY)
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    make_unreadable(stored(django_user_model.objects.create_user("zed"), key="zed-key-0000"))
    out, err = io.StringIO(), io.StringIO()

    call_command("rotate_keys", stdout=out, stderr=err)
    call_command("rotate_keys", stdout=(again := io.StringIO()), stderr=io.StringIO())

    assert out.getvalue().strip() == "Re-encrypted 2 stored key(s); 0 already used the first key."
    assert "1 stored key(s) cannot be read" in err.getvalue() and "user zed" in err.getvalue()
    assert "Re-encrypted 0 stored key(s); 2 already used the first key." in again.getvalue()
    settings.FIELD_ENCRYPTION_KEY = NEW  # the old key dropped: everything still reads
    assert Fernet(NEW.encode()).decrypt(raw(first).encode()) == b"alice-key-1234"
    assert FalCredential.objects.get(pk=second.pk).get_key() == TEAM_KEY


def test_check_deploy_warns_without_a_field_encryption_key(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    assert "accounts.W001" in {m.id for m in run_checks(include_deployment_checks=True)}
    assert "accounts.W001" not in {m.id for m in run_checks()}
    settings.FIELD_ENCRYPTION_KEY = NEW
    assert "accounts.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}


# -- which key, and when none ----------------------------------------------------------------
@pytest.mark.django_db
def test_without_server_key_fallback_the_servers_key_is_never_used(settings, alice):
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    settings.SERVER_KEY_FALLBACK = False

    with pytest.raises(NoFalKey, match="does not lend its own key"):
        resolve_fal_key(alice.pk, None)
    stored(alice)
    assert resolve_fal_key(alice.pk, None) == "alice-key-1234"


@pytest.mark.django_db(transaction=True)
async def test_a_run_with_an_unreadable_team_key_fails_saying_so(settings, alice):
    from playground.accounts.models import Membership, Role, Team
    from playground.jobs.models import Generation, Status
    from playground.jobs.runner import Runner
    from tests.jobs.conftest import SMALL, run_until_finished, submit
    from tests.jobs.test_team_runs import RecordKeys

    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    team = await Team.objects.acreate(name="Studio", slug="studio")
    await Membership.objects.acreate(user=alice, team=team, role=Role.OWNER)
    await sync_to_async(stored)(team=team, key=TEAM_KEY)
    await sync_to_async(stored)(alice)
    generation = await sync_to_async(submit)(alice, data=SMALL)
    await Generation.objects.filter(pk=generation.pk).aupdate(team=team)
    settings.SECRET_KEY = "changed, so the stored keys no longer decrypt"
    transport = RecordKeys()

    [done] = await run_until_finished(Runner(transport=transport), [generation.code])

    assert done.status == Status.FAILED
    assert done.error["message"].startswith("Your team's fal key can no longer be read")
    assert transport.keys == []  # neither alice's key nor the server's was spent


@pytest.mark.django_db
def test_an_upload_with_an_unreadable_key_answers_the_reason(client_alice, alice, settings):
    settings.FAL_MODE, settings.FAL_KEY = "fal", "server-key-0000"
    make_unreadable(stored(alice))
    file = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")

    response = client_alice.post(reverse("catalog:upload"), {"file": file})

    assert response.status_code == 400
    assert response.json()["error"].startswith("Your fal key can no longer be read")


@pytest.mark.django_db
def test_an_unreadable_key_shows_as_such_on_the_keys_page(client_alice, alice, settings):
    make_unreadable(stored(alice))

    html = client_alice.get(reverse("fal_keys")).content.decode()

    assert "Can no longer be read" in html and "Enter it again below." in html


# -- a team key's last four ------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_last4"), [("owner", True), ("admin", True), ("member", False), ("viewer", False)]
)
def test_a_team_keys_last_four_are_shown_only_to_admins_and_owners(
    client, django_user_model, role, sees_last4
):
    from playground.accounts.models import Membership, Team

    team = Team.objects.create(name="Studio", slug="studio")
    person = django_user_model.objects.create_user("pat")
    Membership.objects.create(user=person, team=team, role=role)
    stored(team=team, key=TEAM_KEY)
    client.force_login(person)

    html = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    assert ("5678" in html) is sees_last4
    assert ("A team key is set." in html) is not sees_last4
