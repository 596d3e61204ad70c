"""The usage page (`/usage/`: a person's own, or a team's for its admins) and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import date
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from playground.accounts.models import Team
from playground.gateway.callers import Refused, token_caller
from playground.gateway.models import AccessToken, Entrance
from playground.limits.budgets import usage_meters
from playground.usage import charts
from playground.usage.charts import count, duration, money, percent, rate
from playground.usage.report import (
    GROUPS,
    NO_TOKEN,
    PRESETS,
    Figures,
    Report,
    UsageFilters,
    admin_teams,
    narrowed,
    report,
    scope,
    summed,
)

ENTRANCES = dict(Entrance.choices)
CSV_CHUNK = 2000


@require_safe
@login_required
def usage_page(request: HttpRequest) -> HttpResponse:
    filters = UsageFilters.from_query(request.GET)
    teams = admin_teams(request.user.pk)
    rows, team = scope(request.user.pk, filters, teams)
    data = report(narrowed(rows, filters, team), filters, team)
    members = _members(team)
    context = {
        "filters": filters,
        "team": team,
        "whose": _whose(filters, team, teams),
        "presets": PRESETS,
        "data": data,
        "charts": _charts(data, members),
        "options": {
            "models": _models(rows, filters, data),
            "entrances": Entrance.choices,
            "tokens": _tokens(request.user.pk, team),
            "members": sorted(members.items(), key=lambda item: item[1].lower()),
        },
        "no_token": NO_TOKEN,
        "budgets": usage_meters(request.user.pk, team),
        "query": filters.query(),
    }  # fmt: skip
    return render(request, "usage/page.html", context)


def _whose(
    filters: UsageFilters, team: Team | None, teams: list[Team]
) -> list[tuple[str, str, bool]]:
    """The switcher's links: the person's own usage, then each team they administer (the
    range kept, the other filters dropped: they name another scope's tokens and people)."""
    page = reverse("usage:page")
    plain = replace(filters, model="", entrance="", token="", member=None)
    links = [("Mine", f"{page}?{plain.query(team='')}", team is None)]
    for each in teams:
        links.append((each.name, f"{page}?{plain.query(team=each.slug)}", each == team))
    return links


def _models(rows: QuerySet, filters: UsageFilters, data: Report) -> list[str]:
    """The model filter's choices: those used in the range (the chart already has them,
    unless it is narrowed to one model)."""
    if not filters.model:
        return sorted(name for name, _ in data.by_model)
    return list(rows.order_by("endpoint_id").values_list("endpoint_id", flat=True).distinct())


def _members(team: Team | None) -> dict[int, str]:
    """user id -> name, for a team's view (its members, and anyone who left)."""
    if team is None:
        return {}
    users = get_user_model().objects.filter(memberships__team=team)
    return dict(users.values_list("pk", "username"))


def _tokens(user_id: int, team: Team | None) -> list[AccessToken]:
    tokens = (
        AccessToken.objects.filter(team=team)
        if team
        else AccessToken.objects.filter(user_id=user_id)
    )
    return list(tokens.only("pk", "label", "last4", "revoked"))


def _charts(data: Report, members: dict[int, str]) -> list[dict[str, Any]]:
    """Each chart of the page: its title, SVG (or bars), table and CSV rows."""
    days = [day for day, _ in data.days]
    figures = [f for _, f in data.days]
    dated = [day.strftime("%a %-d %b") for day in days]
    found = [
        _days("requests", "Requests per day", days, [
            ("ok", "succeeded", [f.requests - f.errors for f in figures]),
            ("error", "failed", [f.errors for f in figures]),
        ], count, ("Day", "Requests", "Failed"),
            [(d, count(f.requests), count(f.errors)) for d, f in zip(dated, figures, strict=True)]),
        _days("cost", "Cost per day", days, [("cost", "spent", [float(f.cost) for f in figures])],
              money, ("Day", "Cost", "Requests"),
              [(d, money(f.cost), count(f.requests)) for d, f in zip(dated, figures, strict=True)]),
        _days("latency", "Latency and time in queue", days, [
            ("p50", "latency p50", [f.p50 for f in figures]),
            ("p95", "latency p95", [f.p95 for f in figures]),
            ("queue", "average time in queue", [f.queue_avg for f in figures]),
        ], duration, ("Day", "p50", "p95", "Avg. queue"),
            [(d, duration(f.p50), duration(f.p95), duration(f.queue_avg))
             for d, f in zip(dated, figures, strict=True)]),
        _days("errors", "Error rate per day", days, [("error", "error rate", [
            f.error_rate * 100 if f.error_rate is not None else None for f in figures])],
            percent, ("Day", "Error rate", "Failed", "Requests"),
            [(d, rate(f.error_rate), count(f.errors), count(f.requests))
             for d, f in zip(dated, figures, strict=True)]),
        _ranks("models", "By model", "model", "Model",
               [(name or "(no endpoint)", f) for name, f in data.by_model]),
        _ranks("entrances", "By entrance", "entrance", "Entrance",
               [(ENTRANCES.get(name, name), f) for name, f in data.by_entrance]),
    ]  # fmt: skip
    if data.by_member:
        found.append(_ranks("members", "By member", "member", "Member",
                            [(_member(members, uid), f) for uid, f in data.by_member]))  # fmt: skip
    return found


def _days(
    name: str, title: str, days: list[date], series: list[charts.Series],
    fmt: Callable[[float], str], head: tuple[str, ...], rows: list[tuple[str, ...]],
) -> dict[str, Any]:  # fmt: skip
    drawn = (charts.lines if name in ("latency", "errors") else charts.columns)(days, series, fmt)
    return {
        "id": name, "title": title, "rows": "day", "figure": charts.svg(drawn, name),
        "legend": charts.legend(drawn) if len(series) > 1 or drawn.dots else "",
        "table": charts.table(title, head, rows),
    }  # fmt: skip


def _member(members: dict[int, str], user_id: int) -> str:
    if user_id in members:
        return members[user_id]
    return f"former member #{user_id}" if user_id else "(deleted user)"


def _ranks(
    name: str, title: str, rows: str, key: str, items: list[tuple[str, Figures]]
) -> dict[str, Any]:
    ranks = charts.ranking([(label, f.requests, count(f.requests)) for label, f in items], "ok")
    head = (key, "Requests", "Failed", "Cost", "p50", "p95", "Avg. queue")
    cells = [
        (label, count(f.requests), count(f.errors), money(f.cost), duration(f.p50),
         duration(f.p95), duration(f.queue_avg))
        for label, f in items
    ]  # fmt: skip
    return {
        "id": name, "title": title, "rows": rows, "figure": charts.bars(ranks, name),
        "legend": "", "table": charts.table(f"Usage {title.lower()}", head, cells),
    }  # fmt: skip


# The CSV: streamed, for a browser session or a personal access token (scripts).

CSV_MEASURES = (
    "requests", "failed", "error_rate", "cost_usd", "latency_avg_ms", "latency_p50_ms",
    "latency_p95_ms", "queue_avg_ms",
)  # fmt: skip


async def export_csv(request: HttpRequest) -> HttpResponse:
    """GET /usage/export.csv?<the page's filters>&rows=day|model|entrance|member|token|all:
    the rows behind a chart (all: a row per day, member, token, model and entrance)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    header = request.headers.get("Authorization", "")
    if header:
        try:
            user_id = (await sync_to_async(token_caller)(header)).user_id
        except Refused as refusal:
            return refusal.response()
    else:
        user = await request.auser()
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        user_id = user.pk
    filters = UsageFilters.from_query(request.GET)
    group = request.GET.get("rows", "all")
    by = GROUPS.get(group, GROUPS["all"])
    rows, team = await sync_to_async(_export_scope)(user_id, filters)
    names = await sync_to_async(_names)(rows, by)
    found = rows.order_by().values(*by).annotate(**summed()).order_by(*by)
    response = StreamingHttpResponse(_streamed(found, by, names), content_type="text/csv")
    whose = team.slug if team else "mine"
    response["Content-Disposition"] = (
        f'attachment; filename="usage-{whose}-{filters.start}-{filters.end}-{group}.csv"'
    )
    return response


def _export_scope(user_id: int, filters: UsageFilters) -> tuple[QuerySet, Team | None]:
    rows, team = scope(user_id, filters, admin_teams(user_id))
    return narrowed(rows, filters, team), team


def _names(rows: QuerySet, by: tuple[str, ...]) -> dict[str, dict[int, str]]:
    """Names for the ids in these rows, looked up once (not per row)."""
    names: dict[str, dict[int, str]] = {"user_id": {}, "token_id": {0: "browser session"}}
    if "user_id" in by:
        users = get_user_model().objects.filter(pk__in=rows.values("user_id"))
        names["user_id"].update(users.values_list("pk", "username"))
    if "token_id" in by:
        for token in AccessToken.objects.filter(pk__in=rows.values("token_id")):
            names["token_id"][token.pk] = f"{token.label or 'token'} …{token.last4}"
    return names


COLUMN_NAMES = {"day": "day", "user_id": "member", "token_id": "token",
                "endpoint_id": "model", "entrance": "entrance"}  # fmt: skip


async def _streamed(
    found: QuerySet, by: tuple[str, ...], names: dict[str, dict[int, str]]
) -> AsyncIterator[str]:
    yield _lines([[COLUMN_NAMES[name] for name in by] + list(CSV_MEASURES)])
    rows = await sync_to_async(lambda: found.iterator(chunk_size=CSV_CHUNK))()
    while chunk := await sync_to_async(lambda: list(islice(rows, CSV_CHUNK)))():
        yield _lines(_csv_row(row, by, names) for row in chunk)


def _csv_row(
    row: dict[str, Any], by: tuple[str, ...], names: dict[str, dict[int, str]]
) -> list[Any]:
    keys = []
    for name in by:
        value = row[name]
        if name in names:
            value = names[name].get(value, value)
        keys.append(value)
    f = Figures.of(row)
    return [
        *keys, f.requests, f.errors, _fixed(f.error_rate, 4), f"{f.cost:f}",
        _fixed(f.latency_avg, 0), _fixed(f.p50, 0), _fixed(f.p95, 0), _fixed(f.queue_avg, 0),
    ]  # fmt: skip


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _lines(rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()
