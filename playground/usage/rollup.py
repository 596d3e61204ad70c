"""Keeping UsageDay in step with the request log.

Each logged row adds its share (one request, its error, cost, latency and time in queue) to
the UsageDay row of its day and key, with one additive upsert. A row updated later (a
result fetch bringing the cost, the first poll out of the queue, a realtime session ending
in error) adds the difference between its share after and before, in the same
transaction as the update. `rebuild()` recomputes everything (or from a day on) from the
log, for `manage.py rebuild_usage`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from playground.usage.models import LATENCY_BOUNDS_MS, LATENCY_BUCKETS, UsageDay

KEY = ("day", "user_id", "team_id", "token_id", "endpoint_id", "entrance")
MEASURES = (
    "requests", "errors", "cost", "latency_count", "latency_sum", "queue_count", "queue_sum",
    *LATENCY_BUCKETS,
)  # fmt: skip
# What a log row's share is made of: reading these is enough to count it.
LOG_FIELDS = (
    "created", "user_id", "team_id", "token_id", "endpoint_id", "entrance",
    "status", "error", "cost", "latency_ms", "queue_ms",
)  # fmt: skip
# Updates that touch none of these leave the roll-up as it was (most polls).
COUNTED_FIELDS = frozenset({"status", "error", "cost", "latency_ms", "queue_ms"})

Key = tuple[Any, ...]
Share = dict[str, Any]


def day_of(moment: datetime) -> date:
    """Days are UTC days, in Python as in rebuild()'s SQL."""
    return moment.astimezone(UTC).date()


def key_of(row: Mapping[str, Any]) -> Key:
    return (
        day_of(row["created"]),
        row["user_id"] or 0,
        row["team_id"] or 0,
        row["token_id"] or 0,
        row["endpoint_id"] or "",
        row["entrance"],
    )


def is_error(status: int | None, error: str) -> bool:
    """fal answered 400 or more, or the request failed (its error is logged)."""
    return (status is not None and status >= 400) or bool(error)


def share_of(row: Mapping[str, Any]) -> Share:
    latency, queue = row["latency_ms"], row["queue_ms"]
    share: Share = {
        "requests": 1,
        "errors": int(is_error(row["status"], row["error"])),
        "cost": row["cost"] or Decimal(0),
        "latency_count": int(latency is not None),
        "latency_sum": latency or 0,
        "queue_count": int(queue is not None),
        "queue_sum": queue or 0,
    }
    if latency is not None:
        share[LATENCY_BUCKETS[bisect_right(LATENCY_BOUNDS_MS, latency)]] = 1
    return share


def fields_of(row: Any) -> dict[str, Any]:
    """A RequestLog instance as the mapping share_of() and key_of() read."""
    return {name: getattr(row, name) for name in LOG_FIELDS}


def count_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Add newly logged rows (as mappings of LOG_FIELDS) to their days."""
    totals: dict[Key, Share] = defaultdict(dict)
    for row in rows:
        _add(totals[key_of(row)], share_of(row))
    upsert(totals)


def update_logged(changes: Mapping[int, Mapping[str, Any]]) -> None:
    """Apply `changes` (row id -> field values or expressions) to the request log, and
    the difference they make to the roll-up, in one transaction. Rows are locked while
    they are read, so two processes updating the same row never count it twice."""
    from playground.gateway.models import RequestLog

    counted = sorted(pk for pk, fields in changes.items() if COUNTED_FIELDS & fields.keys())
    with transaction.atomic():
        before = _read(RequestLog.objects.select_for_update(), counted)
        for pk, fields in changes.items():
            RequestLog.objects.filter(pk=pk).update(**fields)
        after = _read(RequestLog.objects.all(), counted)
        totals: dict[Key, Share] = defaultdict(dict)
        for pk, row in after.items():
            if pk in before:
                _add(totals[key_of(row)], share_of(row))
                _add(totals[key_of(row)], share_of(before[pk]), sign=-1)
        upsert({key: share for key, share in totals.items() if any(share.values())})


def _read(rows: QuerySet, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    found = rows.filter(pk__in=ids).order_by("pk").values("pk", *LOG_FIELDS)
    return {row["pk"]: row for row in found}


def _add(total: Share, share: Share, sign: int = 1) -> None:
    for name, value in share.items():
        total[name] = total.get(name, 0) + sign * value


def upsert(totals: Mapping[Key, Share]) -> None:
    """Add each share to its day's row, creating the row when it is the first."""
    if not totals:
        return
    table = connection.ops.quote_name(UsageDay._meta.db_table)
    columns = [*KEY, *MEASURES]
    quoted = [connection.ops.quote_name(name) for name in columns]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    additions = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[len(KEY) :])
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES "
        + ", ".join([placeholders] * len(totals))
        + f" ON CONFLICT ({', '.join(quoted[: len(KEY)])}) DO UPDATE SET {additions}"
    )
    params: list[Any] = []
    # In key order, so two transactions adding to the same days lock them in the same order.
    for key, share in sorted(totals.items()):
        params += [*key, *(share.get(name, 0) for name in MEASURES)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rebuild(since: date | None = None, *, log_model=None, usage_model=None) -> int:
    """Recompute the roll-up from the log (every day, or `since` that day); the number of
    UsageDay rows written. The models can be a migration's historical ones."""
    if log_model is None:
        from playground.gateway.models import RequestLog as log_model
    usage_model = usage_model or UsageDay
    logged = log_model.objects.all()
    kept = usage_model.objects.all()
    if since is not None:
        logged = logged.filter(created__gte=datetime.combine(since, time.min, tzinfo=UTC))
        kept = kept.filter(day__gte=since)
    grouped = (
        logged.order_by()
        .annotate(
            day=TruncDate("created", tzinfo=UTC),
            who=Coalesce("user_id", Value(0)),
            crew=Coalesce("team_id", Value(0)),
            via=Coalesce("token_id", Value(0)),
        )
        .values("day", "who", "crew", "via", "endpoint_id", "entrance")
        .annotate(**_sql_measures())
    )
    written = 0
    with transaction.atomic():
        kept.delete()
        batch = []
        for group in grouped.iterator(chunk_size=5000):
            batch.append(_usage_row(usage_model, group))
            if len(batch) == 5000:
                written += len(usage_model.objects.bulk_create(batch))
                batch = []
        written += len(usage_model.objects.bulk_create(batch))
    return written


def _sql_measures() -> dict[str, Any]:
    failed = Q(status__gte=400) | ~Q(error="")
    measures: dict[str, Any] = {
        "n_requests": Count("id"),
        "n_errors": Count("id", filter=failed),
        "n_cost": Coalesce(Sum("cost"), Value(Decimal(0))),
        "n_latency_count": Count("latency_ms"),
        "n_latency_sum": Coalesce(Sum("latency_ms"), Value(0)),
        "n_queue_count": Count("queue_ms"),
        "n_queue_sum": Coalesce(Sum("queue_ms"), Value(0)),
    }
    lows = (0, *LATENCY_BOUNDS_MS)
    highs = (*LATENCY_BOUNDS_MS, None)
    for name, low, high in zip(LATENCY_BUCKETS, lows, highs, strict=True):
        inside = Q(latency_ms__gte=low) & (Q(latency_ms__lt=high) if high else Q())
        measures[f"n_{name}"] = Count("id", filter=inside)
    return measures


def _usage_row(usage_model: type[models.Model], group: dict[str, Any]) -> models.Model:
    return usage_model(
        day=group["day"],
        user_id=group["who"],
        team_id=group["crew"],
        token_id=group["via"],
        endpoint_id=group["endpoint_id"],
        entrance=group["entrance"],
        **{name: group[f"n_{name}"] for name in MEASURES},
    )
