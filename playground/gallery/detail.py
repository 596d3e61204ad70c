"""What a generation's page shows beyond the live panel: every parameter, timings, the
seed, cost, sharing and team controls."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from playground.accounts.models import Membership, Team
from playground.gallery.exports import seed_of
from playground.jobs.models import Generation, Visibility
from playground.usage.estimates import CostText, run_cost


def parameters(generation: Generation) -> list[dict[str, str]]:
    """The input as (name, shown value) rows, in the order it was sent."""
    data = generation.input if isinstance(generation.input, dict) else {}
    return [{"name": name, "value": shown(value)} for name, value in data.items()]


def shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def timings(generation: Generation) -> list[tuple[str, str]]:
    """Queue wait, run time and fal's own metrics, each only when known."""
    rows: list[tuple[str, str]] = []
    # A run cancelled (or failed) in the queue waited until it ended.
    waited_until = generation.started or generation.finished
    if waited_until:
        wait = (waited_until - generation.created).total_seconds()
        rows.append(("Waited", f"{max(wait, 0):.1f} s"))
    if generation.elapsed_seconds is not None and not generation.is_active:
        rows.append(("Ran", f"{generation.elapsed_seconds:.1f} s"))
    for name, value in (generation.metrics or {}).items():
        if isinstance(value, int | float):
            rows.append((name.replace("_", " ").capitalize(), f"{value:.2f} s"))
    return rows


def cost_estimate(generation: Generation) -> CostText | None:
    """What the run cost (fal's billable units at the endpoint's price, or the cost the
    model reported), else an estimate from its input; None when no price is known."""
    return run_cost(generation)


def share_url(request: HttpRequest, generation: Generation) -> str:
    if not generation.share_token:
        return ""
    return absolute(request, reverse("gallery:share", args=[generation.share_token]))


def absolute(request: HttpRequest, path: str) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def teams_to_post_to(user: Any) -> list[Team]:
    """Teams where `user` may post generations."""
    rows = Membership.objects.filter(user=user).select_related("team")
    return [m.team for m in rows if m.can("post")]


def has_seed(generation: Generation) -> bool:
    model = generation.model
    props = (model.input_schema or {}).get("properties", {}) if model else {}
    return "seed" in props


def context(request: HttpRequest, generation: Generation, can_edit: bool) -> dict[str, Any]:
    from playground.accounts.models import membership

    member = membership(request.user, generation.team_id)
    return {
        "can_edit": can_edit,
        "is_owner": generation.owner_id == request.user.pk,
        "can_curate": bool(member and member.can("curate")),
        "parameters": parameters(generation),
        "timings": timings(generation),
        "seed": seed_of(generation),
        "cost": cost_estimate(generation),
        "share_url": share_url(request, generation),
        "visibilities": Visibility.choices,
        "post_teams": teams_to_post_to(request.user) if can_edit else [],
        "can_rerun": generation.model_id is not None,
        "rerun_new_seed": has_seed(generation),
    }
