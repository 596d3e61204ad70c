"""A team's activity page and its CSV export, for the team's admins and owners.

Both find the team through `teams.membership_for`: anonymous visitors are sent to log in,
outsiders get 404 (nobody learns the team exists), members and viewers 403.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Iterator
from itertools import islice

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from playground.accounts.models import Membership
from playground.accounts.teams import membership_for
from playground.activity import describe, queries
from playground.activity.models import Action, Entry

# Admins and owners hold it; the log shows what they manage (members, keys, tokens).
SEE_ACTIVITY = "manage_members"


@login_required
@require_safe
def team_activity(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_for(request.user, slug, SEE_ACTIVITY)
    filters = queries.ActivityFilters.from_query(request.GET)
    rows = queries.entries_for(me.team_id, filters)
    entries, next_cursor = queries.page_of(rows, request.GET.get("cursor", ""), queries.PAGE_SIZE)
    for entry in entries:
        entry.summary = describe.summary(entry)
    query = filters.query_string()
    context = {
        "team": me.team,
        "me": me,
        "entries": entries,
        "filters": filters,
        "people": _people(me, filters),
        "actions": Action.choices,
        "query": query,
        "next_query": f"{query}&cursor={next_cursor}".lstrip("&") if next_cursor else "",
    }
    return render(request, "activity/list.html", context)


def _people(me: Membership, filters: queries.ActivityFilters) -> list[tuple[int, str]]:
    """(user id, name) for the person filter: the members, and a former member being
    filtered on (found by their entries)."""
    members = me.team.memberships.select_related("user")
    people = sorted(
        ((m.user_id, m.user.get_username()) for m in members), key=lambda p: p[1].lower()
    )
    if filters.person and filters.person not in {pk for pk, _ in people}:
        former = Entry.objects.filter(team_id=me.team_id, actor_id=filters.person).first()
        if former is not None:
            people.append((filters.person, f"{former.actor_name} (former member)"))
    return people


CSV_CHUNK_ROWS = 200
CSV_COLUMNS = ["time", "person", "action", "description", "target", "link", "details", "data"]


@login_required
@require_safe
def team_activity_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Every entry the page's filters select, newest first, as CSV written while it is sent."""
    me = membership_for(request.user, slug, SEE_ACTIVITY)
    rows = queries.entries_for(me.team_id, queries.ActivityFilters.from_query(request.GET))
    origin = settings.PUBLIC_BASE_URL or f"{request.scheme}://{request.get_host()}"
    lines = _csv_lines(rows, origin)
    response = StreamingHttpResponse(
        _in_request_thread(lines), content_type="text/csv; charset=utf-8"
    )
    filename = f"{me.team.slug}-activity.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class _Line:
    """What csv.writer writes to: writerow() then returns the line it wrote."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(rows, origin: str) -> Iterator[bytes]:
    """The header, then the rows in pieces of CSV_CHUNK_ROWS lines."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS).encode()
    entries = queries.every_entry(rows)
    while chunk := list(islice(entries, CSV_CHUNK_ROWS)):
        yield "".join(writer.writerow(_cells(entry, origin)) for entry in chunk).encode()


def _cells(entry: Entry, origin: str) -> list[str]:
    link = origin + entry.target_url if entry.target_url.startswith("/") else ""
    cells = [
        entry.created.isoformat(),
        entry.actor_name,
        entry.action,
        entry.action_label,
        entry.target,
        link,
        describe.summary(entry),
        json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
    ]
    return [_inert(cell) for cell in cells]


# A cell starting with one of these is a formula to a spreadsheet (CSV injection): team
# names, token labels and emails are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


async def _in_request_thread(lines: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each step of a blocking iterator on the request's own thread (its database
    connection), so Django under ASGI streams it instead of collecting it whole."""
    step = sync_to_async(next, thread_sensitive=True)
    while (line := await step(lines, None)) is not None:
        yield line
