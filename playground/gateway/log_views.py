"""The request log: a page per person (team admins also see their team's rows), each
request's detail, and the same rows as JSON for scripts (token or session)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from playground.accounts.models import Membership
from playground.gallery.queries import decode_cursor, encode_cursor
from playground.gateway.callers import Refused, identify
from playground.gateway.models import Entrance, RequestLog

PAGE_SIZE = 50
MAX_API_LIMIT = 500
OUTCOMES = {"ok": "Succeeded", "error": "Failed"}
LIST_FIELDS = (
    "id", "created", "entrance", "kind", "endpoint_id", "request_id", "method", "status",
    "state", "latency_ms", "queue_ms", "bytes_in", "bytes_out", "billable_units",
    "cost", "follow_ups", "error", "user_id", "team_id", "token_id",
)  # fmt: skip


@dataclass
class LogFilters:
    entrance: str = ""
    outcome: str = ""
    endpoint: str = ""
    team: str = ""  # a team slug: that team's rows (admins); "" = the person's own

    @classmethod
    def from_query(cls, query) -> LogFilters:
        entrance = query.get("entrance", "")
        outcome = query.get("outcome", "")
        return cls(
            entrance=entrance if entrance in Entrance.values else "",
            outcome=outcome if outcome in OUTCOMES else "",
            endpoint=query.get("endpoint", "").strip()[:255],
            team=query.get("team", "").strip()[:80],
        )


def rows_for(user_id: int, filters: LogFilters, admin_teams: dict[str, int]) -> QuerySet:
    if filters.team:
        team_id = admin_teams.get(filters.team)
        if team_id is None:
            raise Http404("No such team log")
        rows = RequestLog.objects.filter(team_id=team_id)
    else:
        rows = RequestLog.objects.filter(user_id=user_id)
    if filters.entrance:
        rows = rows.filter(entrance=filters.entrance)
    if filters.outcome == "ok":
        rows = rows.filter(status__lt=400, error="")
    elif filters.outcome == "error":
        rows = rows.filter(Q(status__gte=400) | Q(status__isnull=True) | ~Q(error=""))
    if filters.endpoint:
        rows = rows.filter(endpoint_id__startswith=filters.endpoint)
    return rows


def page_after(rows: QuerySet, cursor: str, size: int) -> tuple[list[RequestLog], str]:
    """Newest first, `size` rows after the keyset cursor; the next cursor or ''."""
    rows = rows.order_by("-created", "-id")
    if position := decode_cursor(cursor):
        created, pk = position
        rows = rows.filter(Q(created__lte=created), Q(created__lt=created) | Q(id__lt=pk))
    found = list(rows.select_related("token", "user")[: size + 1])
    more = len(found) > size
    found = found[:size]
    return found, encode_cursor(found[-1]) if more else ""


def admin_teams_of(user) -> dict[str, int]:
    """slug -> id of the teams whose log this person may read (they manage members)."""
    memberships = Membership.objects.filter(user=user).select_related("team")
    return {m.team.slug: m.team_id for m in memberships if m.can("manage_members")}


@login_required
def request_log(request: HttpRequest) -> HttpResponse:
    filters = LogFilters.from_query(request.GET)
    admin_teams = admin_teams_of(request.user)
    rows, next_cursor = page_after(
        rows_for(request.user.pk, filters, admin_teams), request.GET.get("cursor", ""), PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "rows": rows,
        "filters": filters,
        "entrances": Entrance.choices,
        "outcomes": OUTCOMES.items(),
        "admin_teams": sorted(admin_teams),
        "next_query": f"{query.urlencode()}&cursor={next_cursor}" if next_cursor else "",
        "filtered": any(vars(filters).values()),
    }
    return render(request, "gateway/log.html", context)


@login_required
def request_detail(request: HttpRequest, row_id: int) -> HttpResponse:
    admin_team_ids = set(admin_teams_of(request.user).values())
    row = (
        RequestLog.objects.select_related("token", "team", "user")
        .filter(Q(user=request.user) | Q(team_id__in=admin_team_ids), pk=row_id)
        .first()
    )
    if row is None:
        raise Http404("No such request")
    context = {"row": row, "input": _pretty(row.input_text), "output": _pretty(row.output_text)}
    return render(request, "gateway/detail.html", context)


def _pretty(text: str) -> str:
    """JSON indented for reading; anything else (a cut-off body) as it was stored."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


async def api_requests(request: HttpRequest) -> HttpResponse:
    """GET /api/gateway/requests?limit=N[&cursor=…][&entrance=…]: the caller's own rows."""
    if request.method != "GET":
        return JsonResponse({"detail": "Only GET."}, status=405)
    try:
        caller = await sync_to_async(identify)(request)
    except Refused as refusal:
        return refusal.response()
    try:
        limit = min(max(int(request.GET.get("limit", "50")), 1), MAX_API_LIMIT)
    except ValueError:
        return JsonResponse({"detail": "limit must be a whole number."}, status=400)
    filters = LogFilters.from_query(request.GET)
    filters.team = ""  # the API answers the caller's own rows
    rows, next_cursor = await sync_to_async(page_after)(
        rows_for(caller.user_id, filters, {}), request.GET.get("cursor", ""), limit
    )
    return JsonResponse(
        {"requests": [_as_json(row) for row in rows], "next_cursor": next_cursor or None}
    )


def _as_json(row: RequestLog) -> dict:
    data = {name: getattr(row, name) for name in LIST_FIELDS}
    data["created"] = row.created.isoformat()
    # US dollars as a decimal string ("0.012"): a float would round a sum of many.
    data["cost"] = f"{row.cost.normalize():f}" if row.cost is not None else None
    return data
