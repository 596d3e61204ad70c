"""The one way views and consumers fetch a generation for a person."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from playground.jobs.models import Generation


def generation_for(user: Any, code: Any) -> tuple[Generation, bool]:
    """(generation, can_edit). Raises Http404 for anyone who may not see it, so outsiders
    cannot even learn that it exists."""
    try:
        generation = (
            Generation.objects.visible_to(user).select_related("model", "owner").get(code=code)
        )
    except (Generation.DoesNotExist, ValueError):
        raise Http404("No such generation") from None
    return generation, generation.owner_id == user.pk
