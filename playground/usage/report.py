"""What the usage page and its CSV read: the roll-up (UsageDay), filtered and added up.

Never the request log itself: a 30-day view adds up at most a row per day and key, however
many requests were logged (bench/usage.py times it with 1,000,000).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from playground.accounts.models import Membership, Team
from playground.usage.models import LATENCY_BOUNDS_MS, LATENCY_BUCKETS, UsageDay
from playground.usage.rollup import MEASURES

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
CENT_FRACTION = Decimal("0.000001")  # RequestLog.cost's precision
NO_TOKEN = "none"  # the token filter's value for calls made from a browser session
GROUPS = {  # ?rows= of the CSV: the rows behind each chart
    "day": ("day",),
    "model": ("endpoint_id",),
    "entrance": ("entrance",),
    "member": ("user_id",),
    "token": ("token_id",),
    "all": ("day", "user_id", "token_id", "endpoint_id", "entrance"),
}


def today() -> date:
    return timezone.now().date()  # UTC, as the roll-up's days


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


@dataclass
class UsageFilters:
    start: date
    end: date
    preset: int | None = DEFAULT_DAYS  # None: a custom range
    team: str = ""  # a team slug: the team's usage (admins); "": the person's own
    model: str = ""
    entrance: str = ""
    token: str = ""  # a token id, NO_TOKEN, or "" for any
    member: int | None = None  # a user id, in a team's view

    @classmethod
    def from_query(cls, query: Any) -> UsageFilters:
        """Filters from a query string; junk is ignored rather than refused."""
        start, end = _date(query.get("start", "")), _date(query.get("end", ""))
        # A preset button (?preset=) wins over dates left in the form; otherwise two
        # dates make a custom range, and ?days= (links) or the default the rest.
        picked = _int(query.get("preset", ""))
        preset = picked or _int(query.get("days", "")) or DEFAULT_DAYS
        if start and end and not picked:
            start, end = min(start, end), max(start, end)
            start = max(start, end - timedelta(days=MAX_DAYS - 1))
            preset = None
        else:
            preset = preset if preset in PRESETS else DEFAULT_DAYS
            end = today()
            start = end - timedelta(days=preset - 1)
        token = query.get("token", "")
        return cls(
            start=start,
            end=end,
            preset=preset,
            team=query.get("team", "").strip()[:80],
            model=query.get("model", "").strip()[:255],
            entrance=query.get("entrance", "").strip()[:12],
            token=token if token == NO_TOKEN or _int(token) else "",
            member=_int(query.get("member", "")),
        )

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def narrowed(self) -> bool:
        """Whether anything but the range and whose usage is filtered."""
        return bool(self.model or self.entrance or self.token or self.member)

    def query(self, **changes: Any) -> str:
        """These filters (with `changes`) as a query string, for links and the CSV."""
        merged = replace(self, **changes) if changes else self
        pairs: dict[str, Any] = {}
        if merged.preset:
            pairs["days"] = merged.preset
        else:
            pairs.update(start=merged.start.isoformat(), end=merged.end.isoformat())
        for name in ("team", "model", "entrance", "token", "member"):
            if value := getattr(merged, name):
                pairs[name] = value
        return urlencode(pairs)


@dataclass
class Figures:
    """Added-up measures of some roll-up rows, and what the page shows of them."""

    requests: int = 0
    errors: int = 0
    cost: Decimal = Decimal(0)
    latency_count: int = 0
    latency_sum: int = 0
    queue_count: int = 0
    queue_sum: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))

    @classmethod
    def of(cls, row: dict[str, Any]) -> Figures:
        # int(): Postgres adds bigints up as numerics (Decimals); SQLite adds decimals up
        # as floats, so the cost goes back to the log's six places.
        return cls(
            requests=int(row["requests"] or 0),
            errors=int(row["errors"] or 0),
            cost=Decimal(row["cost"] or 0).quantize(CENT_FRACTION),
            latency_count=int(row["latency_count"] or 0),
            latency_sum=int(row["latency_sum"] or 0),
            queue_count=int(row["queue_count"] or 0),
            queue_sum=int(row["queue_sum"] or 0),
            buckets=[int(row[name] or 0) for name in LATENCY_BUCKETS],
        )

    def __add__(self, other: Figures) -> Figures:
        added = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        added["buckets"] = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        return Figures(**added)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def latency_avg(self) -> float | None:
        return self.latency_sum / self.latency_count if self.latency_count else None

    @property
    def queue_avg(self) -> float | None:
        return self.queue_sum / self.queue_count if self.queue_count else None

    @property
    def p50(self) -> float | None:
        return percentile(self.buckets, 0.50)

    @property
    def p95(self) -> float | None:
        return percentile(self.buckets, 0.95)


def percentile(buckets: list[int], q: float) -> float | None:
    """The q-th latency from a histogram, interpolated within its bucket (the last,
    open-ended bucket answers its lower bound)."""
    total = sum(buckets)
    if not total:
        return None
    rank = q * total
    seen = 0
    lows = (0, *LATENCY_BOUNDS_MS)
    for i, count in enumerate(buckets):
        if count and seen + count >= rank:
            if i == len(LATENCY_BOUNDS_MS):
                return float(lows[i])
            return lows[i] + (LATENCY_BOUNDS_MS[i] - lows[i]) * (rank - seen) / count
        seen += count
    return float(lows[-1])


def summed() -> dict[str, Sum]:
    return {name: Sum(name) for name in MEASURES}


def admin_teams(user_id: int) -> list[Team]:
    """The teams whose usage this person may read: those whose members they manage."""
    memberships = Membership.objects.filter(user_id=user_id).select_related("team")
    return [m.team for m in memberships if m.can("manage_members")]


def scope(user_id: int, filters: UsageFilters, teams: list[Team]) -> tuple[QuerySet, Team | None]:
    """The roll-up rows these filters may read, and the team whose they are; Http404
    for a team the person does not administer (members and outsiders alike)."""
    team = None
    if filters.team:
        team = next((t for t in teams if t.slug == filters.team), None)
        if team is None:
            raise Http404("No such team usage")
        rows = UsageDay.objects.filter(team_id=team.pk)
    else:
        rows = UsageDay.objects.filter(user_id=user_id)
    return rows.filter(day__gte=filters.start, day__lte=filters.end), team


def narrowed(rows: QuerySet, filters: UsageFilters, team: Team | None) -> QuerySet:
    if filters.model:
        rows = rows.filter(endpoint_id=filters.model)
    if filters.entrance:
        rows = rows.filter(entrance=filters.entrance)
    if filters.token:
        rows = rows.filter(token_id=0 if filters.token == NO_TOKEN else int(filters.token))
    if filters.member and team is not None:
        rows = rows.filter(user_id=filters.member)
    return rows


def grouped(rows: QuerySet, *by: str) -> list[tuple[tuple, Figures]]:
    """(the values of `by`, their figures) for each group, most requests first."""
    found = rows.order_by().values(*by).annotate(**summed()).order_by("-requests", *by)
    return [(tuple(row[name] for name in by), Figures.of(row)) for row in found]


def grouped_sets(rows: QuerySet, sets: list[tuple[str, ...]]) -> list[list[tuple[tuple, Figures]]]:
    """grouped() for each of `sets`: on Postgres in one scan of the rows (GROUPING SETS,
    which the ORM cannot say; less than half the time of a query each), elsewhere a query
    each. The grouping columns are never NULL, so a NULL says "not grouped by this"."""
    if connections[rows.db].vendor != "postgresql":
        return [grouped(rows, *by) for by in sets]
    compiler = rows.query.get_compiler(using=rows.db)
    where, params = compiler.compile(rows.query.where)
    where = where or "TRUE"
    quote = compiler.quote_name_unless_alias
    columns = list(dict.fromkeys(name for by in sets for name in by))
    sums = ", ".join(f"SUM({quote(name)})" for name in MEASURES)
    groups = ", ".join("(" + ", ".join(quote(name) for name in by) + ")" for by in sets)
    table = quote(UsageDay._meta.db_table)
    sql = (
        f"SELECT {', '.join(quote(name) for name in columns)}, {sums} FROM {table}"
        f" WHERE {where} GROUP BY GROUPING SETS ({groups})"
    )
    found: list[list[tuple[tuple, Figures]]] = [[] for _ in sets]
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            keys = dict(zip(columns, record[: len(columns)], strict=True))
            row = dict(zip(MEASURES, record[len(columns) :], strict=True))
            which = next(i for i, by in enumerate(sets) if keys[by[0]] is not None)
            found[which].append((tuple(keys[name] for name in sets[which]), Figures.of(row)))
    for groups_found in found:
        groups_found.sort(key=lambda item: (-item[1].requests, item[0]))
    return found


@dataclass
class Report:
    days: list[tuple[date, Figures]]
    total: Figures
    by_model: list[tuple[str, Figures]]
    by_entrance: list[tuple[str, Figures]]
    by_member: list[tuple[int, Figures]]


def report(rows: QuerySet, filters: UsageFilters, team: Team | None) -> Report:
    """Every figure of the page: days and entrances grouped together (a few hundred rows
    at most), models, and a team's members."""
    sets = [("day", "entrance"), ("endpoint_id",)] + ([("user_id",)] if team else [])
    found = grouped_sets(rows, sets)
    per_day: dict[date, Figures] = {}
    per_entrance: dict[str, Figures] = {}
    for (day, entrance), figures in found[0]:
        per_day[day] = per_day.get(day, Figures()) + figures
        per_entrance[entrance] = per_entrance.get(entrance, Figures()) + figures
    days = [(day, per_day.get(day, Figures())) for day in filters.days]
    return Report(
        days=days,
        total=sum((figures for _, figures in days), Figures()),
        by_model=[(key[0], f) for key, f in found[1]],
        by_entrance=sorted(per_entrance.items(), key=lambda item: (-item[1].requests, item[0])),
        by_member=[(key[0], f) for key, f in found[2]] if team else [],
    )
