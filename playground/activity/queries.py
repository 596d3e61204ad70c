"""Reading a team's activity log: filters from the query string, keyset pages newest
first, and the rows of the CSV export (the same filters, every page)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from playground.activity.models import Action, Entry
from playground.gallery.queries import decode_cursor, encode_cursor
from playground.lib.params import parse_day, parse_id

PAGE_SIZE = 50
EXPORT_BATCH = 500


@dataclass
class ActivityFilters:
    person: int | None = None  # the actor's user id
    action: str = ""
    since: date | None = None  # whole days, inclusive, in the server's time zone
    until: date | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> ActivityFilters:
        """Anything unreadable is ignored, as if it had not been given."""
        action = query.get("action", "")
        return cls(
            person=parse_id(query.get("person", "")),
            action=action if action in Action.values else "",
            since=parse_day(query.get("since", "")),
            until=parse_day(query.get("until", "")),
        )

    @property
    def active(self) -> bool:
        return any(vars(self).values())

    def query_string(self) -> str:
        """These filters for a link (the CSV export, the next page)."""
        values = {
            "person": str(self.person or ""),
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        query = QueryDict(mutable=True)
        query.update({name: value for name, value in values.items() if value})
        return query.urlencode()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries_for(team_id: int, filters: ActivityFilters) -> QuerySet[Entry]:
    """The team's entries narrowed by `filters`, newest first."""
    rows = Entry.objects.filter(team_id=team_id)
    if filters.person:
        rows = rows.filter(actor_id=filters.person)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.since:
        rows = rows.filter(created__gte=_start_of(filters.since))
    if filters.until:
        rows = rows.filter(created__lt=_start_of(filters.until + timedelta(days=1)))
    return rows.order_by("-created", "-id")


def after(rows: QuerySet[Entry], position: tuple[datetime, int] | None) -> QuerySet[Entry]:
    """Rows older than the keyset `position` (created, id); all of them for None."""
    if position is None:
        return rows
    created, pk = position
    return rows.filter(Q(created__lt=created) | Q(created=created, id__lt=pk))


def page_of(rows: QuerySet[Entry], cursor: str, size: int) -> tuple[list[Entry], str]:
    """`size` entries after the cursor, and the cursor of the next page ('' at the end)."""
    found = list(after(rows, decode_cursor(cursor))[: size + 1])
    more = len(found) > size
    found = found[:size]
    return found, encode_cursor(found[-1]) if more else ""


def every_entry(rows: QuerySet[Entry]) -> Iterator[Entry]:
    """All of `rows`, EXPORT_BATCH at a time by keyset: no query holds a cursor open
    between batches, so a slow download keeps nothing locked."""
    batch = EXPORT_BATCH
    position = None
    while True:
        found = list(after(rows, position)[:batch])
        yield from found
        if len(found) < batch:
            return
        position = (found[-1].created, found[-1].pk)
