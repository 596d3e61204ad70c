"""Two to four generations side by side, with a diff of their parameters."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playground.gallery.detail import shown
from playground.gallery.exports import seed_of
from playground.jobs.access import reachable_by
from playground.jobs.models import Generation

MISSING = "—"


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """`?g=<code>&g=<code>` (2-4). Any code the person may not see: 404, like elsewhere."""
    codes = list(dict.fromkeys(request.GET.getlist("g")))
    if not 2 <= len(codes) <= 4:
        return render(request, "gallery/compare.html", {"generations": [], "rows": []}, status=400)
    try:
        found = {
            str(g.code): g
            for g in reachable_by(request.user)
            .filter(code__in=codes, deleted_at__isnull=True)
            .with_model()
            .prefetch_related("assets")
        }
    except ValidationError:  # a code that is not a UUID
        raise Http404("No such generation") from None
    if len(found) != len(codes):
        raise Http404("No such generation")
    generations = [found[code] for code in codes]
    return render(
        request,
        "gallery/compare.html",
        {
            "generations": generations,
            "rows": diff_rows(generations),
            "slider": slider_pair(generations),
        },
    )


def diff_rows(generations: list[Generation]) -> list[dict[str, Any]]:
    """One row per parameter any of them has (model and seed first); `differs` marks the
    ones that are not the same everywhere."""
    inputs = [g.input if isinstance(g.input, dict) else {} for g in generations]
    names: list[str] = []
    for data in inputs:
        names.extend(name for name in data if name not in names and name != "seed")
    rows = [_row("model", [g.endpoint_id for g in generations])]
    rows.append(
        _row(
            "seed", [shown(seed_of(g)) if seed_of(g) is not None else MISSING for g in generations]
        )
    )
    for name in names:
        rows.append(_row(name, [shown(d[name]) if name in d else MISSING for d in inputs]))
    return rows


def _row(name: str, values: list[str]) -> dict[str, Any]:
    return {"name": name, "values": values, "differs": len(set(values)) > 1}


def slider_pair(generations: list[Generation]) -> list[Any]:
    """The first image of each, when exactly two generations each have one."""
    if len(generations) != 2:
        return []
    images = [next((a for a in g.assets.all() if a.kind == "image"), None) for g in generations]
    return images if all(images) else []
