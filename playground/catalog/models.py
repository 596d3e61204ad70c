from __future__ import annotations

from django.db import models
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from playground.catalog.categories import category_label, label_for

# The columns a catalog card shows: never the schemas, which dwarf everything else.
LISTING_FIELDS = ("endpoint_id", "title", "category", "group", "description", "modes")


class Mode(models.TextChoices):
    QUEUE = "queue", "Queue"
    RUN = "run", "Sync run"
    STREAM = "stream", "Streaming"
    REALTIME = "realtime", "Realtime"


class Source(models.TextChoices):
    BUNDLED = "bundled", "Bundled"
    IMPORTED = "imported", "Imported"
    SYNCED = "synced", "Synced from fal"


def search_terms(query: str) -> list[str]:
    """Lowercase words of a search; every one must match (AND), in any order."""
    return query.lower().split()[:8]


def search_filter(query: str) -> Q:
    """Every word of the search in the search text: id, title, description, categories
    and the group's usual words (categories.GROUP_WORDS)."""
    condition = Q()
    for term in search_terms(query):
        condition &= Q(search_text__contains=term)
    return condition


class EndpointQuerySet(models.QuerySet):
    def by_endpoint_id(self, endpoint_id: str) -> Endpoint | None:
        return self.filter(endpoint_id=endpoint_id).first()

    def search(self, query: str) -> EndpointQuerySet:
        """Endpoints whose id, title, description or category contain every word."""
        return self.filter(search_filter(query))

    def in_group(self, group: str) -> EndpointQuerySet:
        return self.filter(group=group) if group else self

    def group_counts(self) -> dict[str, int]:
        rows = self.order_by().values_list("group").annotate(n=Count("id"))
        return dict(rows)

    def group_totals(self, query: str) -> dict[str, tuple[int, int]]:
        """Group -> (models in it, models matching `query`), in one query."""
        rows = (
            self.order_by()
            .values_list("group")
            .annotate(total=Count("id"), n=Count("id", filter=search_filter(query) or None))
        )
        return {group: (total, n) for group, total, n in rows}

    def ranked(self, query: str) -> EndpointQuerySet:
        """Best matches first: the exact id; id or title starting with the query; a word
        of either starting with it; either containing it; then matches only in the
        description. Alphabetical by title within each rank."""
        query = query.strip().lower()
        if not query:
            return self.order_by(Lower("title"), "endpoint_id")
        rank = Case(
            When(endpoint_id__iexact=query, then=Value(0)),
            When(Q(endpoint_id__istartswith=query) | Q(title__istartswith=query), then=Value(1)),
            When(
                Q(endpoint_id__icontains=f"/{query}")
                | Q(endpoint_id__icontains=f"-{query}")
                | Q(title__icontains=f" {query}"),
                then=Value(2),
            ),
            When(Q(endpoint_id__icontains=query) | Q(title__icontains=query), then=Value(3)),
            default=Value(4),
            output_field=IntegerField(),
        )
        return self.annotate(rank=rank).order_by("rank", Lower("title"), "endpoint_id")

    def page(self, start: int, stop: int) -> list[Endpoint]:
        """Rows `start:stop` of this (ranked) queryset with only the card columns.

        Two narrow queries instead of one wide one: ranking touches only the columns the
        SQLite covering index holds (0003), then just the page's rows are read, so the
        schemas that make rows big are never scanned.
        """
        ids = list(self.values_list("id", flat=True)[start:stop])
        rows = self.model._default_manager.only(*LISTING_FIELDS).in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]


class Endpoint(models.Model):
    """One fal model endpoint with its self-contained input and output JSON Schemas."""

    endpoint_id = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=40, db_index=True)
    # The product group (categories.GROUPS) the catalog files this endpoint under.
    group = models.CharField(max_length=20, db_index=True, default="other")
    description = models.TextField(blank=True)
    # Lowercase id, title, description and categories: what catalog search matches.
    search_text = models.TextField(blank=True, default="", editable=False)
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    schema_sha = models.CharField(max_length=64)
    modes = models.JSONField(default=list)
    metadata = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORTED)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["endpoint_id"]

    def __str__(self) -> str:
        return self.endpoint_id

    @property
    def owner(self) -> str:
        return self.endpoint_id.split("/", 1)[0]

    @property
    def group_label(self) -> str:
        return label_for(self.group)

    @property
    def summary(self) -> str:
        """The description's first line, or what kind of model it is when there is none."""
        for line in self.description.splitlines():
            if line.strip():
                return line.strip()
        return f"{category_label(self.category)} model by {self.owner}"
