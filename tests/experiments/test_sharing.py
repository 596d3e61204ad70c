"""Sharing an experiment like a generation (its runs follow), and re-running it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.experiments.models import Experiment
from playground.jobs.models import Visibility
from tests.experiments.conftest import finish, start
from tests.jobs.conftest import stored_image

pytestmark = pytest.mark.django_db


def share(client, experiment, visibility: str):
    url = reverse("experiments:visibility", args=[experiment.code])
    return client.post(url, {"visibility": visibility})


def shared_url(experiment) -> str:
    experiment.refresh_from_db()
    return reverse("experiments:shared", args=[experiment.share_token])


def test_a_link_share_shows_a_read_only_grid_with_the_runs_files(client, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    generation = experiment.generations.get()
    stored_image(generation)
    finish(generation)
    client.force_login(alice)
    assert share(client, experiment, Visibility.LINK).status_code == 302
    client.logout()

    response = client.get(shared_url(experiment))

    page = response.content.decode()
    assert response.status_code == 200
    generation.refresh_from_db()
    assert generation.visibility == Visibility.LINK
    image = reverse("gallery:share_file", args=[generation.share_token, "00-images-0.png"])
    assert f'src="{image}"' in page
    assert client.get(image).status_code == 200
    assert "ws-connect" not in page
    assert "data-pause" not in page


def test_making_it_private_again_revokes_the_link_and_the_runs(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    share(client_alice, experiment, Visibility.PUBLIC)
    old = shared_url(experiment)

    share(client_alice, experiment, Visibility.PRIVATE)

    assert client_alice.get(old).status_code == 404
    assert experiment.generations.get().share_token is None


def test_runs_submitted_after_sharing_are_shared_too(
    alice, flux_dev, settings, django_capture_on_commit_callbacks
):
    from playground.experiments import actions

    settings.RUNS_IN_FLIGHT_PER_USER = 1
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 2})
    actions.set_experiment_visibility(experiment=experiment, visibility=Visibility.LINK)

    with django_capture_on_commit_callbacks(execute=True):
        finish(experiment.generations.get())

    assert [g.visibility for g in experiment.generations.all()] == [Visibility.LINK] * 2


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("charlie", 404)])
def test_only_its_editors_share_it(
    client, request, alice, bob, charlie, team, flux_dev, who, status
):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, team=team)
    client.force_login(request.getfixturevalue(who))

    assert share(client, experiment, Visibility.PUBLIC).status_code == status
    experiment.refresh_from_db()
    assert experiment.share_token is None


def test_team_visibility_needs_a_team(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})

    assert share(client_alice, experiment, Visibility.TEAM).status_code == 400


def test_an_unknown_share_token_is_404(client):
    assert client.get(reverse("experiments:shared", args=["nope"])).status_code == 404


def test_a_team_member_reruns_it_as_their_own(client, alice, bob, team, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 2}, team=team)
    client.force_login(bob)

    response = client.post(reverse("experiments:rerun", args=[experiment.code]))

    again = Experiment.objects.exclude(pk=experiment.pk).get()
    assert response["Location"] == again.get_absolute_url()
    assert again.owner == bob
    assert again.team is None
    assert again.generations.count() == 2


def test_an_outsider_cannot_rerun_it(client, alice, charlie, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    client.force_login(charlie)

    assert client.post(reverse("experiments:rerun", args=[experiment.code])).status_code == 404
    assert Experiment.objects.count() == 1
