"""The catalog page: every model by group, searchable as you type. Public: running is not."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from playground.catalog import fuzzy
from playground.catalog.categories import BY_SLUG, GROUPS
from playground.catalog.models import Endpoint
from playground.demo.visitors import is_demo_model

PAGE_SIZE = 60
MAX_PAGE = 100
MAX_QUERY = 100
SUMMARY_CHARS = 150
EXTRA_MODES = ("stream", "realtime")


@dataclass(frozen=True)
class Card:
    """What a catalog card shows, worked out once in Python: 60 cards render in a few
    milliseconds, where per-card template includes and tags took three times longer."""

    endpoint_id: str
    title: str
    url: str
    group: str
    group_label: str
    summary: str
    modes: list[tuple[str, bool]]
    icon: SafeString
    demo: bool = False  # runnable without an account (demo mode)

    @classmethod
    def of(cls, endpoint: Endpoint) -> Card:
        summary = endpoint.summary
        if len(summary) > SUMMARY_CHARS:
            summary = summary[: SUMMARY_CHARS - 1].rstrip() + "…"
        return cls(
            endpoint_id=endpoint.endpoint_id,
            title=endpoint.title,
            url=model_url(endpoint.endpoint_id),
            group=endpoint.group,
            group_label=endpoint.group_label,
            summary=summary,
            modes=[(mode, mode in EXTRA_MODES) for mode in endpoint.modes],
            icon=group_icon(endpoint.group),
            demo=is_demo_model(endpoint.endpoint_id),
        )


@cache
def model_url_prefix() -> str:
    return reverse("catalog:model", args=["-"])[: -len("-/")]


def model_url(endpoint_id: str) -> str:
    """`{% url 'catalog:model' endpoint_id %}` without a reverse() per card."""
    return f"{model_url_prefix()}{quote(endpoint_id, safe=RFC3986_SUBDELIMS + '/~:@')}/"


@cache
def group_icon(slug: str) -> SafeString:
    return render_to_string("catalog/_group_icon.html", {"slug": slug})


@dataclass(frozen=True)
class CatalogQuery:
    q: str = ""
    group: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: QueryDict) -> CatalogQuery:
        """Junk never errors: an unknown group means all, a bad page means the first."""
        group = params.get("group", "")
        try:
            page = min(MAX_PAGE, max(1, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(
            q=" ".join(params.get("q", "").split())[:MAX_QUERY],
            group=group if group in BY_SLUG else "",
            page=page,
        )

    def url(self, **changes: object) -> str:
        """This query with `changes`, dropping empty and default parameters."""
        values = {"q": self.q, "group": self.group, "page": self.page, **changes}
        params = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        base = reverse("catalog:browse")
        return f"{base}?{urlencode(params)}" if params else base


@require_safe
@vary_on_headers("HX-Request")
def catalog(request: HttpRequest) -> HttpResponse:
    """The full page, or for htmx the results region (search, group) or the next cards."""
    query = CatalogQuery.from_params(request.GET)
    htmx = request.htmx and not request.htmx.history_restore_request
    more = bool(htmx and request.htmx.target == "catalog-grid")
    context = catalog_context(query, more=more)
    if more:
        return render(request, "catalog/browse.html#more", context)
    if htmx:
        response = render(request, "catalog/browse.html#results", context)
        return push_url(response, query.url(page=1))
    return render(request, "catalog/browse.html", context)


def catalog_context(query: CatalogQuery, *, more: bool) -> dict[str, object]:
    """Three queries whatever the catalog size: counts per group (all and matching), the
    ranked ids of one page, then those rows; two more when a search matching nothing is
    retried with its typos corrected."""
    totals = Endpoint.objects.group_totals(query.q)
    search, corrected = query.q, None
    if query.q and not any(n for _, n in totals.values()):
        # Nothing matches: perhaps a typo ("fluxx"). Search again with known words.
        corrected = fuzzy.corrected(query.q)
        if corrected:
            search, totals = corrected, Endpoint.objects.group_totals(corrected)
    counts = {group: n for group, (_, n) in totals.items() if n}
    ranked = Endpoint.objects.search(search).in_group(query.group).ranked(search)
    # The full page shows every page so far (a plain link works without JS); htmx asks
    # for the next page of cards alone.
    start = (query.page - 1) * PAGE_SIZE if more else 0
    stop = query.page * PAGE_SIZE
    endpoints = ranked.page(start, stop + 1)
    has_more = len(endpoints) > stop - start
    total = counts.get(query.group, 0) if query.group else sum(counts.values())
    return {
        "query": query,
        "cards": [Card.of(endpoint) for endpoint in endpoints[: stop - start]],
        "has_more": has_more,
        "next_url": query.url(page=query.page + 1),
        "clear_url": query.url(q="", page=1),
        "total": total,
        "tabs": tabs(query, counts, {group for group, (size, _) in totals.items() if size}),
        # Shown as "Showing results for …" when a typo was corrected.
        "corrected": corrected if counts else None,
        "group": BY_SLUG.get(query.group),
        "catalog_empty": not query.q and not counts,
    }


def tabs(query: CatalogQuery, counts: dict[str, int], stocked: set[str]) -> list[dict[str, object]]:
    """'All' and each group with its count for the current search. Groups stay put while
    typing (no jumping chips); a group with no model at all (`stocked` lists those with
    some) is left out, unless it is the one asked for."""
    result = [
        {
            "slug": "",
            "label": "All",
            "count": sum(counts.values()),
            "url": query.url(group="", page=1),
            "current": not query.group,
        }
    ]
    for group in GROUPS:
        count = counts.get(group.slug, 0)
        current = group.slug == query.group
        if current or group.slug in stocked:
            result.append(
                {
                    "slug": group.slug,
                    "label": group.label,
                    "count": count,
                    "url": query.url(group=group.slug, page=1),
                    "current": current,
                }
            )
    return result
