"""How the usage page writes its figures: `{{ n|count }}`, `|duration`, `|money`, `|percent`."""

from __future__ import annotations

from django import template

from playground.usage import charts

register = template.Library()
register.filter("count", charts.count)
register.filter("duration", charts.duration)
register.filter("money", charts.money)
register.filter("rate", charts.rate)
