"""What each endpoint costs: fal's unit price and the unit fal bills in."""

from __future__ import annotations

from django.db import models


class Unit(models.TextChoices):
    """fal's billing units, one spelling each (units.py maps fal's other spellings)."""

    IMAGE = "image", "image"
    MEGAPIXEL = "megapixel", "megapixel"
    SECOND = "second", "second"
    MINUTE = "minute", "minute"
    VIDEO = "video", "video"
    CHARACTER = "character", "character"
    KILO_CHARACTER = "1k characters", "1,000 characters"
    REQUEST = "request", "request"
    COMPUTE_SECOND = "compute second", "compute second"


class PriceSource(models.TextChoices):
    BUNDLED = "bundled", "Bundled list price"
    FAL = "fal", "fal's pricing API"
    ADMIN = "admin", "Set in the admin"  # never overwritten by a sync


class Price(models.Model):
    endpoint_id = models.CharField(max_length=255, unique=True)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=6, help_text="US dollars for one unit."
    )
    source = models.CharField(max_length=10, choices=PriceSource.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["endpoint_id"]

    def __str__(self) -> str:
        return f"{self.endpoint_id}: ${self.unit_price.normalize():f} per {self.get_unit_display()}"
