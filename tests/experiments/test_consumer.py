"""ExperimentConsumer over the real router: who may watch a grid, and cells filling live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from playground.experiments.live import NOT_ALLOWED
from playground.jobs import actions as jobs
from playground.jobs.models import Status
from tests.experiments.conftest import start
from tests.jobs.test_consumers import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def experiment(alice, team):
    from playground.catalog.models import Endpoint

    flux_dev = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    return start(alice, flux_dev, spec={"kind": "seeds", "count": 2}, team=team)


async def connect(experiment, user=None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    path = f"/ws/experiments/{experiment.code}/"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_the_owner_and_team_members_get_every_cell_on_connect(request, experiment, who):
    user = await sync_to_async(request.getfixturevalue)(who)
    communicator, connected, _ = await connect(experiment, user)

    assert connected
    replay = await communicator.receive_from()
    assert replay.count('hx-swap-oob="true"') == 3  # two cells and the header
    assert 'id="cell-0"' in replay and 'id="cell-1"' in replay
    await communicator.disconnect()


async def test_an_outsider_is_refused(experiment, charlie):
    _communicator, connected, code = await connect(experiment, charlie)

    assert not connected
    assert code == NOT_ALLOWED


async def test_an_anonymous_watcher_is_refused(experiment):
    _communicator, connected, code = await connect(experiment)

    assert not connected
    assert code == NOT_ALLOWED


async def test_another_sites_page_is_refused(experiment, alice):
    _communicator, connected, _ = await connect(experiment, alice, origin=b"http://evil.example")

    assert not connected


async def test_a_finished_run_arrives_as_its_cell(experiment, alice):
    communicator, _connected, _ = await connect(experiment, alice)
    await communicator.receive_from()  # the replay
    generation = await sync_to_async(experiment.generations.get)(experiment_cell="1")

    await sync_to_async(jobs.finish_generation)(
        generation=generation, status=Status.COMPLETED, output={"text": "a fine fox"}
    )

    update = await communicator.receive_from(timeout=5)
    assert 'id="cell-1" hx-swap-oob="true"' in update
    assert "xg-cell--completed" in update
    assert 'id="cell-0"' not in update  # unchanged cells are not sent again
    await communicator.disconnect()


async def test_pausing_redraws_the_header(experiment, alice):
    from playground.experiments import actions

    communicator, _connected, _ = await connect(experiment, alice)
    await communicator.receive_from()

    await sync_to_async(actions.pause_experiment)(experiment=experiment)

    update = await communicator.receive_from(timeout=5)
    assert 'id="experiment-status" hx-swap-oob="true"' in update
    assert "Paused" in update
    assert "data-resume" in update
    await communicator.disconnect()


async def test_a_member_removed_from_the_team_stops_getting_the_grid(experiment, alice, bob):
    from playground.accounts import actions as team_actions
    from playground.accounts.models import Membership

    communicator, connected, _ = await connect(experiment, bob)
    assert connected
    await communicator.receive_from()

    def remove() -> None:
        actor = Membership.objects.get(user=alice)
        target = Membership.objects.get(user=bob)
        team_actions.remove_member(actor=actor, target=target)

    await sync_to_async(remove)()

    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": NOT_ALLOWED}
