"""The permission matrix: every gallery, share and download URL and the generation
WebSocket, tried by the owner, a team member, a viewer, an outsider and an anonymous
visitor. Outsiders get 404 (existence never leaks), members who may only look get 403 on
writes, revoked links stop working."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from playground.accounts.models import Role
from playground.gallery.models import Preset
from playground.jobs.models import Generation
from tests.gallery.conftest import finished
from tests.jobs.test_consumers import connect

pytestmark = pytest.mark.django_db

WHO = ["owner", "member", "viewer", "outsider", "anonymous"]


@pytest.fixture
def people(alice, bob, vera, charlie):
    return {"owner": alice, "member": bob, "viewer": vera, "outsider": charlie, "anonymous": None}


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def posted(alice, team):
    """Alice's generation, posted to her team."""
    return finished(alice, "a lighthouse", team=team, visibility="team")


def sees(who: str) -> bool:
    return who in ("owner", "member", "viewer")


def expected_read(who: str) -> int:
    return {"anonymous": 302, "outsider": 404}.get(who, 200)


READS = {
    "detail": lambda g: g.get_absolute_url(),
    "file": lambda g: g.assets.get().file.url,
    "download": lambda g: g.assets.get().file.url + "?download=1",
    "thumbnail": lambda g: g.assets.get().thumbnail.url,
    "metadata": lambda g: reverse("gallery:metadata", args=[g.code]),
    "team gallery": lambda g: reverse("gallery:team", args=[g.team.slug]),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", list(READS))
def test_reads(page, who, people, posted):
    response = client_of(people[who]).get(READS[page](posted))
    assert response.status_code == expected_read(who)
    if who == "anonymous":
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who", WHO)
def test_compare_needs_every_generation_visible(who, people, posted, alice, team):
    other = finished(alice, "a harbour", team=team, visibility="team")
    url = f"{reverse('gallery:compare')}?g={posted.code}&g={other.code}"
    assert client_of(people[who]).get(url).status_code == expected_read(who)


@pytest.mark.parametrize("who", WHO)
def test_my_gallery_lists_only_my_own(who, people, posted):
    response = client_of(people[who]).get(reverse("gallery:index"))
    if who == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert (str(posted.code) in response.text) is (who == "owner")


WRITES = {
    "favorite": ("gallery:favorite", {"favorite": "1"}),
    "notes": ("gallery:notes", {"notes": "mine", "tags": "x"}),
    "visibility": ("gallery:visibility", {"visibility": "link"}),
    "move": ("gallery:move", {"team": ""}),
    "delete": ("gallery:delete", {}),
}


def expected_write(who: str) -> int:
    return {"owner": 302, "anonymous": 302, "outsider": 404}.get(who, 403)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("write", list(WRITES))
def test_writes(write, who, people, posted):
    name, data = WRITES[write]
    before = Generation.objects.values().get(pk=posted.pk)
    response = client_of(people[who]).post(reverse(name, args=[posted.code]), data)
    assert response.status_code == expected_write(who)
    after = Generation.objects.values().get(pk=posted.pk)
    assert (after != before) is (who == "owner")


@pytest.mark.parametrize("who", WHO)
def test_restore(who, people, posted):
    Generation.objects.filter(pk=posted.pk).update(deleted_at=timezone.now())
    response = client_of(people[who]).post(reverse("gallery:restore", args=[posted.code]))
    assert response.status_code == expected_write(who)
    restored = Generation.objects.get(pk=posted.pk).deleted_at is None
    assert restored is (who == "owner")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("action", ["delete", "move", "restore"])
def test_bulk_writes(action, who, people, posted):
    if action == "restore":
        Generation.objects.filter(pk=posted.pk).update(deleted_at=timezone.now())
    data = {"action": action, "g": [str(posted.code)], "team": ""}
    response = client_of(people[who]).post(reverse("gallery:bulk"), data)
    assert response.status_code == expected_write(who)


@pytest.mark.parametrize("who", WHO)
def test_bulk_download(who, people, posted):
    data = {"action": "download", "g": [str(posted.code)]}
    response = client_of(people[who]).post(reverse("gallery:bulk"), data)
    assert response.status_code == expected_read(who)


@pytest.mark.parametrize("who", WHO)
def test_rerun_is_open_to_everyone_who_may_see_it(who, people, posted):
    response = client_of(people[who]).post(reverse("gallery:rerun", args=[posted.code]))
    assert response.status_code == (302 if who != "outsider" else 404)
    if sees(who):
        new = Generation.objects.exclude(pk=posted.pk).get()
        assert new.owner == people[who]  # their own run, never alice's
        # Those who may run for the team keep the run in the team; a viewer's is private.
        if who == "viewer":
            assert new.team is None and new.visibility == "private"
        else:
            assert new.team == posted.team and new.visibility == "team"


@pytest.mark.parametrize("who", WHO)
def test_showcase_curation_needs_the_curate_right(who, people, posted):
    response = client_of(people[who]).post(
        reverse("gallery:showcase_toggle", args=[posted.code]), {"shown": "1"}
    )
    # alice owns the team (curate); bob and vera are on it without the right.
    assert response.status_code == {"owner": 302, "anonymous": 302, "outsider": 404}.get(who, 403)
    assert Generation.objects.get(pk=posted.pk).in_showcase is (who == "owner")


@pytest.mark.parametrize("who", WHO)
def test_publishing_the_showcase_needs_the_curate_right(who, people, team):
    response = client_of(people[who]).post(
        reverse("gallery:publish_showcase", args=[team.slug]), {"public": "1"}
    )
    assert response.status_code == {"owner": 302, "anonymous": 302, "outsider": 404}.get(who, 403)
    team.refresh_from_db()
    assert team.showcase_public is (who == "owner")


def test_team_admins_may_change_team_generations(posted, adam):
    client = client_of(adam)
    response = client.post(reverse("gallery:notes", args=[posted.code]), {"notes": "curated"})
    assert response.status_code == 302
    assert Generation.objects.get(pk=posted.pk).notes == "curated"


def test_a_members_own_generation_is_theirs_to_change(bob, team):
    mine = finished(bob, "bob's", team=team, visibility="team")
    response = client_of(bob).post(reverse("gallery:favorite", args=[mine.code]))
    assert response.status_code == 302


@pytest.mark.parametrize("who", WHO)
def test_a_link_share_is_readable_by_anyone_until_revoked(who, people, posted):
    client = client_of(people["owner"])
    client.post(reverse("gallery:visibility", args=[posted.code]), {"visibility": "link"})
    posted.refresh_from_db()
    token = posted.share_token
    page = reverse("gallery:share", args=[token])
    file = reverse("gallery:share_file", args=[token, "00-images-0.png"])
    visitor = client_of(people[who])
    assert visitor.get(page).status_code == 200
    assert visitor.get(file).status_code == 200
    client.post(reverse("gallery:visibility", args=[posted.code]), {"visibility": "team"})
    assert visitor.get(page).status_code == 404
    assert visitor.get(file).status_code == 404


@pytest.mark.parametrize("who", WHO)
def test_the_showcase_is_public_only_once_published(who, people, posted, team):
    url = reverse("gallery:showcase", args=[team.slug])
    visitor = client_of(people[who])
    assert visitor.get(url).status_code == 404
    team.showcase_public = True
    team.save()
    assert visitor.get(url).status_code == 200


@pytest.mark.parametrize("who", WHO)
def test_team_presets(who, people, alice, team):
    preset = Preset.objects.create(
        owner=alice, team=team, endpoint_id="fal-ai/flux/schnell", name="Moody", input={}
    )
    model = reverse("catalog:model", args=["fal-ai/flux/schnell"])
    visitor = client_of(people[who])
    loaded = visitor.get(f"{model}?preset={preset.pk}")
    if who == "anonymous":
        assert loaded.status_code == 302
    else:
        assert loaded.status_code == 200
        assert ("Moody" in loaded.text) is sees(who)
    response = visitor.post(reverse("gallery:preset_delete", args=[preset.pk]))
    assert response.status_code == {"owner": 200, "anonymous": 302, "outsider": 404}.get(who, 403)
    assert Preset.objects.filter(pk=preset.pk).exists() is (who != "owner")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", WHO)
async def test_websocket(who, people, posted):
    user = people[who]
    communicator, connected, code = await connect(posted, user)
    assert connected is sees(who)
    if connected:
        assert f"gen-{posted.code}-status" in await communicator.receive_from()
        await communicator.disconnect()
    else:
        assert code == 4403


@pytest.mark.django_db(transaction=True)
async def test_websocket_of_a_deleted_generation_is_refused(alice, posted):
    await sync_to_async(Generation.objects.filter(pk=posted.pk).update)(deleted_at=timezone.now())
    _, connected, code = await connect(posted, alice)
    assert not connected and code == 4403


def test_roles_used_here_are_what_the_matrix_assumes():
    from playground.accounts.models import RIGHTS

    assert "curate" not in RIGHTS[Role.MEMBER] and "curate" in RIGHTS[Role.ADMIN]
    assert RIGHTS[Role.VIEWER] == {"view"}
