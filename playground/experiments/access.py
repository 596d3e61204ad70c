"""The one way views and consumers fetch an experiment for a person.

The rules of generations (jobs/access.py): its owner and the members of the team it is
posted to see it; its owner and the team's curators change it (pause, resume, cancel,
share). Outsiders get 404, never learning that it exists; members who may only look get
403 on writes. Link and public shares are read through their token.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from playground.accounts.models import membership
from playground.experiments.models import Experiment
from playground.jobs.access import EDIT, TEAM_EDIT_RIGHT, VIEW
from playground.jobs.models import Visibility

__all__ = ["EDIT", "VIEW", "can_edit", "experiment_for", "experiment_for_token"]


def experiment_for(user: Any, code: Any, right: str = VIEW) -> tuple[Experiment, bool]:
    """(experiment, can_edit). Raises Http404 for anyone who may not see it, and
    PermissionDenied when `right` is EDIT and the person may only look."""
    try:
        experiment = (
            Experiment.objects.visible_to(user).select_related("owner", "team").get(code=code)
        )
    except (Experiment.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such experiment") from None
    editable = can_edit(user, experiment)
    if right == EDIT and not editable:
        raise PermissionDenied("You may look at this experiment but not change it.")
    return experiment, editable


def can_edit(user: Any, experiment: Experiment) -> bool:
    if experiment.owner_id == getattr(user, "pk", None):
        return True
    member = membership(user, experiment.team_id)
    return bool(member and member.can(TEAM_EDIT_RIGHT))


def experiment_for_token(token: str) -> Experiment:
    """The experiment shared at its link; Http404 once revoked or made private."""
    if not token or len(token) > 64:
        raise Http404("No such link")
    try:
        return Experiment.objects.select_related("owner", "team").get(
            share_token=token, visibility__in=(Visibility.LINK, Visibility.PUBLIC)
        )
    except Experiment.DoesNotExist:
        raise Http404("No such link") from None
