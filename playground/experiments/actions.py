"""Every write that changes an experiment: start, advance, pause, resume, cancel.

An experiment never submits all its runs at once: it submits what the person's runs-in-
flight cap leaves free (RUNS_IN_FLIGHT_PER_USER), each run counted against their rate limit
and checked against their budgets like a run from the model page, and `advance` submits
more each time one of its runs ends (jobs/actions.py calls it after the commit). The cells
still to run are stored on the experiment, so a restart loses nothing: runners call
`advance_waiting` every few seconds, which also picks up experiments that stopped on a rate
limit with no run left in flight to wake them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from playground.accounts.models import membership
from playground.catalog.models import Endpoint
from playground.catalog.views.model import default_mode
from playground.experiments import live
from playground.experiments.models import Experiment, ExperimentStatus, cell_key
from playground.experiments.plan import Plan, PlanError, plan_experiment
from playground.gallery import actions as gallery
from playground.jobs import actions as jobs
from playground.jobs.models import ACTIVE, Generation, Mode, Visibility
from playground.limits import counter
from playground.limits.budgets import OverBudget, check_budgets
from playground.limits.quotas import quota_for

log = logging.getLogger(__name__)
SHARED = (Visibility.LINK, Visibility.PUBLIC)


def plan_for(*, endpoint: Endpoint, base_input: dict, spec: dict) -> Plan:
    """The plan of `spec` over `endpoint`'s form; raises plan.PlanError."""
    wanted = spec.get("models") if isinstance(spec, dict) else None
    others = None
    if isinstance(wanted, list):
        ids = [str(item) for item in wanted][: settings.EXPERIMENT_MAX_RUNS]
        others = {e.endpoint_id: e for e in Endpoint.objects.filter(endpoint_id__in=ids)}
    return plan_experiment(
        endpoint=endpoint, base_input=base_input, spec=spec, endpoints_by_id=others
    )


def start_experiment(
    *,
    user: Any,
    endpoint: Endpoint,
    base_input: dict,
    spec: dict,
    team: Any = None,
    title: str = "",
) -> Experiment:
    """Plan, store and start an experiment: its first runs are submitted at once, the rest
    as those end. Raises plan.PlanError for a bad spec and OverBudget when a budget of
    the person (or the team, which the caller checked they may run for) is reached."""
    plan = plan_for(endpoint=endpoint, base_input=base_input, spec=spec)
    check_budgets(user.pk, team_id=team.pk if team else None)
    experiment = Experiment.objects.create(
        owner=user,
        team=team,
        model=endpoint,
        endpoint_id=endpoint.endpoint_id,
        title=title[:200] or default_title(plan, endpoint),
        kind=plan.kind,
        spec=spec,
        base_input=base_input,
        axes=[axis_json(axis) for axis in plan.axes],
        cells=[
            {"coords": list(c.coords), "endpoint_id": c.endpoint_id, "input": c.input}
            for c in plan.cells
        ],
        notes=list(plan.notes),
    )
    advance(experiment_id=experiment.pk)
    experiment.refresh_from_db()
    return experiment


def axis_json(axis: Any) -> dict[str, Any]:
    return {
        "key": axis.key,
        "label": axis.label,
        "values": list(axis.values),
        "value_labels": list(axis.value_labels),
    }


def default_title(plan: Plan, endpoint: Endpoint) -> str:
    axes = " by ".join(axis.label for axis in plan.axes)
    return f"{axes} on {endpoint.title or endpoint.endpoint_id}"[:200]


def advance(*, experiment_id: int, notify_after: bool = True) -> list[Generation]:
    """Submit the experiment's next cells, as many as the person's free in-flight slots,
    rate limit and budgets allow; finish it once every cell ran. Returns the runs
    submitted. Safe to call any time, from any process: the row is locked meanwhile.

    notify_after=False: see jobs.actions.submit_generation (the runner's writer thread)."""
    with transaction.atomic():
        experiment = (
            Experiment.objects.select_for_update()
            .filter(pk=experiment_id, status=ExperimentStatus.RUNNING)
            .first()
        )
        if experiment is None:
            return []
        submitted = _submit_window(experiment, notify_after=notify_after)
        if (
            experiment.submitted_all
            and not experiment.generations.filter(status__in=ACTIVE).exists()
        ):
            experiment.status = ExperimentStatus.FINISHED
        experiment.save(update_fields=["next_cell", "status", "status_note", "updated"])
    if notify_after and (submitted or experiment.status != ExperimentStatus.RUNNING):
        transaction.on_commit(lambda: live.notify_experiment(experiment_id))
    return submitted


def _submit_window(experiment: Experiment, *, notify_after: bool) -> list[Generation]:
    cells = experiment.cells[experiment.next_cell : experiment.next_cell + _free_slots(experiment)]
    if not cells:
        return []
    refusal = _team_refusal(experiment)
    if refusal:
        _pause(experiment, refusal)
        return []
    endpoints = {
        e.endpoint_id: e
        for e in Endpoint.objects.filter(endpoint_id__in={c["endpoint_id"] for c in cells})
    }
    submitted = []
    for cell in cells:
        try:
            check_budgets(experiment.owner_id, team_id=experiment.team_id)
            counter.hit(quota_for(experiment.owner_id, team_id=experiment.team_id))
        except OverBudget as over:
            _pause(experiment, str(over))
            break
        except counter.Limited:
            break  # advance_waiting (the runners) tries again in a few seconds
        endpoint = endpoints.get(cell["endpoint_id"])
        experiment.next_cell += 1
        if endpoint is None:  # gone from the catalog since planning: that cell stays empty
            log.warning("experiment %s: %s is gone", experiment.code, cell["endpoint_id"])
            continue
        generation = jobs.submit_generation(
            user=experiment.owner,
            endpoint=endpoint,
            input=cell["input"],
            # The queue where the model has one: runs are followed to their end, not held.
            mode=Mode.QUEUE if Mode.QUEUE in endpoint.modes else default_mode(endpoint),
            team=experiment.team,
            experiment=experiment,
            experiment_cell=cell_key(cell["coords"]),
            notify_after=notify_after,
        )
        if experiment.visibility in SHARED:  # a shared experiment's runs are shared with it
            gallery.set_visibility(generation=generation, visibility=experiment.visibility)
        submitted.append(generation)
    return submitted


def _free_slots(experiment: Experiment) -> int:
    """How many runs the owner may still have in flight (all remaining cells: no cap)."""
    remaining = len(experiment.cells) - experiment.next_cell
    limit = settings.RUNS_IN_FLIGHT_PER_USER
    if not limit or remaining <= 0:
        return max(remaining, 0)
    active = Generation.objects.filter(owner_id=experiment.owner_id, status__in=ACTIVE).count()
    return max(0, min(remaining, limit - active))


def _team_refusal(experiment: Experiment) -> str:
    """Why the owner may no longer run for the experiment's team ("" when they may)."""
    if experiment.team_id is None:
        return ""
    member = membership(experiment.owner, experiment.team_id)
    return "" if member and member.can("run") else "You may no longer run models for its team."


def _pause(experiment: Experiment, note: str) -> None:
    experiment.status = ExperimentStatus.PAUSED
    experiment.status_note = note[:300]


def advance_waiting(*, notify_after: bool = True) -> list[int]:
    """Advance every running experiment (the runners' periodic nudge); returns the ids of
    those that submitted something or ended."""
    moved = []
    for pk in Experiment.objects.filter(status=ExperimentStatus.RUNNING).values_list(
        "pk", flat=True
    ):
        submitted = advance(experiment_id=pk, notify_after=notify_after)
        ended = not Experiment.objects.filter(pk=pk, status=ExperimentStatus.RUNNING).exists()
        if submitted or ended:
            moved.append(pk)
    return moved


def pause_experiment(*, experiment: Experiment) -> None:
    """Submit nothing more until resumed; runs already sent go on to their end."""
    if experiment.status != ExperimentStatus.RUNNING:
        return
    _set_status(experiment, ExperimentStatus.PAUSED)


def resume_experiment(*, experiment: Experiment) -> list[Generation]:
    if experiment.status != ExperimentStatus.PAUSED:
        return []
    _set_status(experiment, ExperimentStatus.RUNNING)
    return advance(experiment_id=experiment.pk)


def cancel_experiment(*, experiment: Experiment) -> None:
    """Submit nothing more and cancel its runs still waiting or running."""
    if not experiment.is_open:
        return
    with transaction.atomic():
        _set_status(experiment, ExperimentStatus.CANCELLED)
        for generation in experiment.generations.filter(status__in=ACTIVE):
            jobs.request_cancel(generation=generation)


def _set_status(experiment: Experiment, status: str) -> None:
    experiment.status = status
    experiment.status_note = ""
    experiment.save(update_fields=["status", "status_note", "updated"])
    pk = experiment.pk
    transaction.on_commit(lambda: live.notify_experiment(pk))


def set_experiment_visibility(
    *, experiment: Experiment, visibility: str, actor: Any = None
) -> None:
    """Who may see it, as for a generation (gallery/actions.set_visibility): link and public
    shares get a token, anything else revokes it. Its runs get the same visibility (a
    shared grid shows their files through their own share links), and so do runs it
    submits later."""
    experiment.visibility = visibility
    if visibility in SHARED:
        experiment.share_token = experiment.share_token or gallery.new_share_token()
    else:
        experiment.share_token = None
    with transaction.atomic():
        experiment.save(update_fields=["visibility", "share_token", "updated"])
        for generation in experiment.generations.filter(deleted_at__isnull=True):
            gallery.set_visibility(generation=generation, visibility=visibility, actor=actor)


def reset_experiment_link(*, experiment: Experiment) -> None:
    """A new token: the old link stops working at once (its runs keep theirs)."""
    experiment.share_token = gallery.new_share_token()
    experiment.save(update_fields=["share_token", "updated"])


def rerun_experiment(*, experiment: Experiment, user: Any, team: Any = None) -> Experiment:
    """The same plan again, as a new experiment of `user` (who may only see the first)."""
    if experiment.model is None:
        raise PlanError("Its model is no longer in the catalog.", field="model")
    return start_experiment(
        user=user,
        endpoint=experiment.model,
        base_input=experiment.base_input,
        spec=experiment.spec,
        team=team,
        title=experiment.title,
    )
