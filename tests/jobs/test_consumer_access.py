"""Live panels lose a person whose access goes: removed from the team, leaving it, the team
deleted, the generation moved off it. Over the real router, with the configured layer (the
in-process one, or Redis with REDIS_URL)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from playground.accounts import actions as team_actions
from playground.accounts.models import Membership, Role, Team
from playground.gallery.actions import move_to_team
from playground.jobs import actions
from playground.jobs.consumers import NOT_ALLOWED
from playground.jobs.models import EventKind, Generation
from tests.jobs.conftest import submit
from tests.jobs.test_consumers import connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def posted(alice, team) -> Generation:
    """Alice's generation, posted to the team."""
    generation = submit(alice)
    Generation.objects.filter(pk=generation.pk).update(team=team)
    generation.team = team
    return generation


async def watch(generation, user):
    communicator, connected, _ = await connect(generation, user)
    assert connected
    await communicator.receive_from()  # the replay
    return communicator


async def assert_closed(communicator) -> None:
    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": NOT_ALLOWED}


async def assert_still_live(communicator, generation) -> None:
    await sync_to_async(actions.update_generation)(
        generation=generation,
        events=[(EventKind.LOG, {"lines": [{"message": "still here", "level": "INFO"}]})],
    )
    assert "still here" in await communicator.receive_from(timeout=5)


def memberships(*users):
    return [Membership.objects.select_related("team").get(user=u) for u in users]


async def test_a_removed_member_stops_getting_updates(alice, bob, posted):
    mine, theirs = await watch(posted, alice), await watch(posted, bob)
    actor, target = await sync_to_async(memberships)(alice, bob)

    await sync_to_async(team_actions.remove_member)(actor=actor, target=target)

    await assert_closed(theirs)
    await assert_still_live(mine, posted)
    assert await theirs.receive_nothing(timeout=0.2)
    await mine.disconnect()


async def test_a_member_who_leaves_stops_getting_updates(bob, posted):
    theirs = await watch(posted, bob)
    [membership] = await sync_to_async(memberships)(bob)

    await sync_to_async(team_actions.leave_team)(membership=membership)

    await assert_closed(theirs)


async def test_deleting_the_team_closes_its_members_panels_not_the_owners(alice, bob, posted):
    mine, theirs = await watch(posted, alice), await watch(posted, bob)
    [owner] = await sync_to_async(memberships)(alice)

    await sync_to_async(team_actions.delete_team)(actor=owner)

    await assert_closed(theirs)
    await assert_still_live(mine, posted)  # alice made it: it stays hers
    await mine.disconnect()


async def test_a_membership_deleted_in_the_admin_counts_too(bob, posted):
    theirs = await watch(posted, bob)

    await Membership.objects.filter(user=bob).adelete()

    await assert_closed(theirs)


async def test_a_role_change_rechecks_and_a_viewer_keeps_watching(alice, bob, posted):
    theirs = await watch(posted, bob)
    actor, target = await sync_to_async(memberships)(alice, bob)

    await sync_to_async(team_actions.change_role)(actor=actor, target=target, role=Role.VIEWER)

    await assert_still_live(theirs, posted)
    await theirs.disconnect()


async def test_moving_the_generation_off_the_team_closes_the_members_panels(alice, bob, posted):
    mine, theirs = await watch(posted, alice), await watch(posted, bob)

    await sync_to_async(move_to_team)(generations=[posted], team=None)

    await assert_closed(theirs)
    await assert_still_live(mine, posted)
    await mine.disconnect()


async def test_another_persons_removal_leaves_a_panel_alone(alice, bob, posted, django_user_model):
    dora = await django_user_model.objects.acreate(username="dora")
    team = await Team.objects.aget(slug="studio")
    await Membership.objects.acreate(user=dora, team=team, role=Role.VIEWER)
    theirs = await watch(posted, bob)

    await Membership.objects.filter(user=dora).adelete()

    await assert_still_live(theirs, posted)
    await theirs.disconnect()
