"""Experiments submit their runs through the limits of a person's runs, as those end."""

from __future__ import annotations

import pytest

from playground.experiments import actions
from playground.experiments.models import ExperimentStatus
from playground.experiments.plan import PlanError
from playground.jobs.models import Generation, Status
from playground.limits.budgets import OverBudget
from tests.experiments.conftest import BASE, SWEEP, finish, start

pytestmark = pytest.mark.django_db


def runs(experiment):
    return list(Generation.objects.filter(experiment=experiment).order_by("id"))


def test_a_sweep_plans_every_cell_and_submits_them_all_under_the_cap(alice, flux_dev):
    experiment = start(alice, flux_dev)

    assert experiment.size == 6
    assert experiment.next_cell == 6
    made = runs(experiment)
    assert [g.experiment_cell for g in made] == ["0,0", "1,0", "2,0", "0,1", "1,1", "2,1"]
    assert made[4].input["guidance_scale"] == 3.5
    assert made[4].input["num_inference_steps"] == 8
    assert made[4].input["prompt"] == "a fox"
    assert experiment.axes[0]["value_labels"] == ["2.5", "3.5", "5"]


def test_only_the_free_in_flight_slots_are_submitted_then_more_as_runs_end(
    alice, flux_dev, settings, django_capture_on_commit_callbacks
):
    settings.RUNS_IN_FLIGHT_PER_USER = 4
    experiment = start(alice, flux_dev)
    assert len(runs(experiment)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        finish(runs(experiment)[0])

    assert len(runs(experiment)) == 5
    experiment.refresh_from_db()
    assert experiment.next_cell == 5
    assert experiment.status == ExperimentStatus.RUNNING


def test_it_finishes_once_every_cell_ran(alice, flux_dev, django_capture_on_commit_callbacks):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 2})
    first, second = runs(experiment)
    with django_capture_on_commit_callbacks(execute=True):
        finish(first)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING

    with django_capture_on_commit_callbacks(execute=True):
        finish(second, Status.FAILED)

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.FINISHED


def test_a_paused_experiment_submits_nothing_until_resumed(
    alice, flux_dev, settings, django_capture_on_commit_callbacks
):
    settings.RUNS_IN_FLIGHT_PER_USER = 2
    experiment = start(alice, flux_dev)
    actions.pause_experiment(experiment=experiment)

    with django_capture_on_commit_callbacks(execute=True):
        finish(runs(experiment)[0])
    assert len(runs(experiment)) == 2

    actions.resume_experiment(experiment=experiment)

    assert len(runs(experiment)) == 3
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING


def test_cancel_asks_to_cancel_the_active_runs_and_submits_no_more(
    alice, flux_dev, settings, django_capture_on_commit_callbacks
):
    settings.RUNS_IN_FLIGHT_PER_USER = 3
    experiment = start(alice, flux_dev)
    with django_capture_on_commit_callbacks(execute=True):
        finish(runs(experiment)[0])
    assert len(runs(experiment)) == 4

    actions.cancel_experiment(experiment=experiment)

    made = runs(experiment)
    assert [g.cancel_requested for g in made] == [False, True, True, True]
    with django_capture_on_commit_callbacks(execute=True):
        finish(made[1], Status.CANCELLED)
    assert len(runs(experiment)) == 4
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.CANCELLED


def test_runs_already_in_flight_elsewhere_count_against_the_window(alice, flux_dev, settings):
    settings.RUNS_IN_FLIGHT_PER_USER = 3
    start(alice, flux_dev, spec={"kind": "seeds", "count": 2})

    experiment = start(alice, flux_dev)

    assert len(runs(experiment)) == 1
    assert Generation.objects.filter(owner=alice).count() == 3


def test_the_rate_limit_holds_cells_back_until_the_runners_nudge(
    alice, flux_dev, rate_limits, settings
):
    from playground.limits import counter

    experiment = start(alice, flux_dev)  # 2 a minute for signed-in people
    assert len(runs(experiment)) == 2

    counter.reset()  # a minute later
    assert actions.advance_waiting() == [experiment.pk]

    assert len(runs(experiment)) == 4


def test_a_reached_budget_pauses_the_experiment_saying_why(alice, flux_dev, monkeypatch):
    from playground.experiments import actions as module

    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 3})
    experiment.next_cell = 1
    experiment.save()
    budget = type("B", (), {"blocked_message": lambda self: "Budget reached."})()

    def over(*args, **kwargs):
        raise OverBudget(budget)

    monkeypatch.setattr(module, "check_budgets", over)
    actions.advance(experiment_id=experiment.pk)

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.PAUSED
    assert experiment.status_note == "Budget reached."


def test_a_bad_spec_raises_a_plan_error_and_stores_nothing(alice, flux_dev):
    with pytest.raises(PlanError):
        actions.start_experiment(
            user=alice, endpoint=flux_dev, base_input=BASE, spec={"kind": "nonsense"}
        )
    assert not alice.experiments.exists()


def test_runs_posted_to_a_team_are_the_teams(alice, team, flux_dev):
    experiment = start(alice, flux_dev, spec=SWEEP, team=team)

    assert {g.team_id for g in runs(experiment)} == {team.pk}
