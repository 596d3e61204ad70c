"""The Runs page: every run of the person, across models, in flight and past.

Filtered by status ("in flight" = pending, queued or running) and model, keyset-paginated
on (created, id) like the gallery (its query helpers), and kept live by the owner's run news
(jobs/live.py, static/js/liveruns.js): a row is re-read when its run changes, and a new
run that matches the filters appears at the top of the first page (static/js/runs.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from playground.gallery.queries import Filters, annotate_card, decode_cursor, page_of
from playground.jobs.models import ACTIVE, Generation, Status

PAGE_SIZE = 30
IN_FLIGHT = "active"  # the status filter for pending, queued and running together
STATUS_CHOICES = [(IN_FLIGHT, "In flight"), *Status.choices]
LIST_TARGET = "runs-results"


@dataclass(frozen=True)
class RunFilters:
    """The page's filters, cleaned: an unknown status or a junk cursor is ignored."""

    status: str = ""
    model: str = ""
    cursor: str = ""

    @classmethod
    def from_query(cls, query: Any) -> RunFilters:
        status, cursor = query.get("status", ""), query.get("cursor", "")
        valid = {value for value, _ in STATUS_CHOICES}
        return cls(
            status=status if status in valid else "",
            model=query.get("model", "").strip()[:200],
            cursor=cursor if decode_cursor(cursor) else "",
        )

    def query_string(self, **override: str) -> str:
        values = {"status": self.status, "model": self.model, **override}
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if value:
                query[name] = value
        return query.urlencode()

    @property
    def any(self) -> bool:
        return bool(self.status or self.model)

    def matches(self, generation: Generation) -> bool:
        """Whether a run belongs on this page (a new run is added live only if it does)."""
        if self.model and generation.endpoint_id != self.model:
            return False
        if self.status == IN_FLIGHT:
            return generation.status in ACTIVE
        return not self.status or generation.status == self.status


def runs_of(user: Any) -> QuerySet:
    """The person's own runs (not their teammates'), deleted ones left out."""
    return Generation.objects.filter(owner=user, deleted_at__isnull=True)


def filtered(rows: QuerySet, filters: RunFilters) -> QuerySet:
    if filters.model:
        rows = rows.filter(endpoint_id=filters.model)
    if filters.status == IN_FLIGHT:
        rows = rows.filter(status__in=ACTIVE)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    return rows


@login_required
@require_GET
def runs(request: HttpRequest) -> HttpResponse:
    """The page; htmx asks for `#runs-results` when filters change, and for the next rows
    (`?cursor=`) when "Show more" is pressed."""
    filters = RunFilters.from_query(request.GET)
    page = page_of(
        filtered(runs_of(request.user), filters),
        Filters.from_query({"cursor": filters.cursor}),
        size=PAGE_SIZE,
    )
    base = reverse("jobs:runs")
    context = {
        "filters": filters,
        "page": page,
        "statuses": STATUS_CHOICES,
        "models": model_choices(request.user),
        "next_url": f"{base}?{filters.query_string(cursor=page.next_cursor)}"
        if page.next_cursor
        else "",
        "query": filters.query_string(),
    }
    if request.htmx and filters.cursor:
        return render(request, "jobs/runs.html#rows", context)
    if request.htmx and request.htmx.target == LIST_TARGET:
        response = render(request, "jobs/runs.html#results", context)
        query = filters.query_string()
        response["HX-Push-Url"] = f"{base}?{query}" if query else base
        return response
    return render(request, "jobs/runs.html", context)


def model_choices(user: Any) -> list[str]:
    """The models this person has run (one query)."""
    return sorted(runs_of(user).order_by().values_list("endpoint_id", flat=True).distinct())


@login_required
@require_GET
def row(request: HttpRequest, code: str) -> HttpResponse:
    """One run's row, re-read when the page hears that it changed (static/js/runs.js).
    `?new=1` asks for a run not shown yet: 204 when it does not match the page's filters.
    404 for runs that are not the person's own, or are gone."""
    found = runs_of(request.user).with_model().prefetch_related("assets").filter(code=code).first()
    if found is None:
        raise Http404("No such run")
    if request.GET.get("new") == "1" and not RunFilters.from_query(request.GET).matches(found):
        return HttpResponse(status=204)
    annotate_card(found)
    return render(request, "jobs/_run_row.html", {"generation": found})
