"""Gallery listings: filters from the query string, search, sort and keyset pages.

Pages are keyset-paginated on (created, id), the order of the `gen_gallery_owner` and
`gen_gallery_team` indexes, so page 500 costs what page 1 costs. Search is Postgres
full-text search over `search_text` (matching the GIN index of migration 0002 exactly,
expression for expression) and, on SQLite, a substring match per word.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from playground.jobs.models import Generation, MediaAsset, OutputKind, Status
from playground.lib.params import parse_day, parse_id

PAGE_SIZE = 24  # a screenful of cards; infinite scroll brings the next
SORTS = {"newest": "Newest first", "oldest": "Oldest first"}
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8
TITLE_KEYS = ("prompt", "text", "lyrics", "style_prompt")


@dataclass
class Filters:
    """What the person asked for, cleaned: unknown values are dropped, never raised on."""

    q: str = ""
    model: str = ""
    group: str = ""
    kind: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None
    favorites: bool = False
    team: str = ""  # a team slug, "personal" (posted to no team) or "" (all)
    sort: str = "newest"
    cursor: tuple[datetime, int] | None = None
    active: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        kind = query.get("kind", "")
        status = query.get("status", "")
        sort = query.get("sort", "newest")
        filters = cls(
            q=query.get("q", "").strip()[:200],
            model=query.get("model", "").strip()[:200],
            group=query.get("group", "").strip()[:20],
            kind=kind if kind in OutputKind.values else "",
            status=status if status in Status.values else "",
            since=parse_day(query.get("since")),
            until=parse_day(query.get("until")),
            favorites=query.get("favorites") in ("1", "on", "true"),
            team=query.get("team", "").strip()[:80],
            sort=sort if sort in SORTS else "newest",
            cursor=decode_cursor(query.get("cursor", "")),
        )
        filters.active = [
            name
            for name in ("q", "model", "group", "kind", "status", "since", "until", "team")
            if getattr(filters, name)
        ] + (["favorites"] if filters.favorites else [])
        return filters

    def query_string(self, **override: Any) -> str:
        """These filters as a query string (without the cursor unless given)."""
        from django.http import QueryDict

        values = {
            "q": self.q,
            "model": self.model,
            "group": self.group,
            "kind": self.kind,
            "status": self.status,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "favorites": "1" if self.favorites else "",
            "team": self.team,
            "sort": self.sort if self.sort != "newest" else "",
            **override,
        }
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if value:
                query[name] = value
        return query.urlencode()


def encode_cursor(generation: Generation) -> str:
    raw = f"{generation.created.isoformat()}|{generation.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    """The (created, id) after which the next page starts; None for junk."""
    if not value or len(value) > 100:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        created, pk = raw.rsplit("|", 1)
        moment, pk_value = parse_datetime(created), parse_id(pk)
        return (moment, pk_value) if moment and pk_value else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def search_words(q: str) -> list[str]:
    return WORD.findall(q.lower())[:MAX_WORDS]


def search(rows: QuerySet, q: str) -> QuerySet:
    """Rows whose prompt, inputs, tags, notes or model id contain every word of `q`
    (prefix match on Postgres, so "lightho" finds "lighthouse" as you type)."""
    words = search_words(q)
    if not words:
        return rows
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        # The same expression as the gen_search_fts index: to_tsvector('simple', ...).
        vector = SearchVector("search_text", config="simple")
        # Words are \w+ only, so this raw tsquery cannot carry operators of its own.
        query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple", search_type="raw")
        return rows.annotate(search=vector).filter(search=query)
    for word in words:
        rows = rows.filter(search_text__contains=word)
    return rows


def apply(rows: QuerySet, filters: Filters, *, teams: dict[str, int] | None = None) -> QuerySet:
    """`rows` narrowed by everything in `filters` but the cursor."""
    if filters.model:
        rows = rows.filter(endpoint_id=filters.model)
    if filters.group:
        rows = rows.filter(model__group=filters.group)
    if filters.kind:
        rows = rows.filter(media_kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.since:
        rows = rows.filter(created__gte=_start_of(filters.since))
    if filters.until:
        rows = rows.filter(created__lt=_start_of(filters.until + timedelta(days=1)))
    if filters.favorites:
        rows = rows.filter(favorite=True)
    if filters.team == "personal":
        rows = rows.filter(team__isnull=True)
    elif filters.team and teams is not None:
        rows = rows.filter(team_id=teams.get(filters.team, -1))
    return search(rows, filters.q)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Page:
    generations: list[Generation]
    next_cursor: str


def page_of(rows: QuerySet, filters: Filters, size: int | None = None) -> Page:
    """One page after `filters.cursor`, in `filters.sort` order; two queries (rows and
    their assets) whatever the page size."""
    size = size or PAGE_SIZE
    newest = filters.sort == "newest"
    rows = rows.order_by(*(("-created", "-id") if newest else ("created", "id")))
    if filters.cursor:
        created, pk = filters.cursor
        if newest:
            # `created <= c` first, so the index range starts at the cursor.
            rows = rows.filter(Q(created__lte=created), Q(created__lt=created) | Q(id__lt=pk))
        else:
            rows = rows.filter(Q(created__gte=created), Q(created__gt=created) | Q(id__gt=pk))
    # Cards need the model's title, not its (large) schemas: decoding 40 of them per page
    # would cost more than the query itself.
    rows = rows.with_model().select_related("team", "owner")
    rows = rows.prefetch_related(
        Prefetch("assets", queryset=MediaAsset.objects.order_by("position"))
    )
    generations = list(rows[: size + 1])
    more = len(generations) > size
    generations = generations[:size]
    for generation in generations:
        annotate_card(generation)
    return Page(generations, encode_cursor(generations[-1]) if more else "")


def annotate_card(generation: Generation) -> None:
    """What a card shows, worked out once in Python: templates re-evaluating
    `generation.assets.all` per use would clone a queryset each time (40 cards a page)."""
    from playground.jobs.pictures import split

    shown = split(generation, list(generation.assets.all()))
    generation.first_asset = shown.outputs[0] if shown.outputs else None
    generation.asset_count = len(shown.outputs)
    # An edit or a realtime frame: its input picture, small, on the output.
    generation.input_picture = shown.inputs[0] if shown.inputs else None
    generation.card_title = card_title(generation)


def card_title(generation: Generation) -> str:
    """What a card is called: its prompt, or the words spoken or sung (speech and music
    models take `text` or `lyrics`), else the model's id."""
    data = generation.input if isinstance(generation.input, dict) else {}
    for key in TITLE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return generation.endpoint_id
