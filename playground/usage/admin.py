"""Prices in the admin: a price staff set here is theirs; sync_prices leaves it alone."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from playground.usage.models import Price, PriceSource
from playground.usage.prices import forget


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("endpoint_id", "unit_price", "unit", "source", "updated")
    list_filter = ("source", "unit")
    search_fields = ("endpoint_id",)
    fields = ("endpoint_id", "unit", "unit_price", "source", "updated")
    readonly_fields = ("source", "updated")

    def save_model(self, request: HttpRequest, obj: Price, form: Any, change: bool) -> None:
        obj.source = PriceSource.ADMIN  # kept from now on: sync_prices skips admin rows
        super().save_model(request, obj, form, change)
        forget(obj.endpoint_id)

    def delete_model(self, request: HttpRequest, obj: Price) -> None:
        super().delete_model(request, obj)
        forget(obj.endpoint_id)
