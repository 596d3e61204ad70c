"""python manage.py set_tier USERNAME TIER [--limit N]

TIER is anonymous, signed_in, pro or enterprise; enterprise needs --limit (requests a
minute), the others take none. Exits 1 with a message for an unknown person or tier."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from playground.limits.models import PersonTier, Tier


class Command(BaseCommand):
    help = "Set a person's rate-limit tier (requests a minute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("tier", help=", ".join(Tier.values))
        parser.add_argument("--limit", type=int, default=None, help="enterprise: requests a minute")

    def handle(self, *args, username: str, tier: str, limit: int | None, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if tier not in Tier.values:
            raise CommandError(f"Unknown tier {tier!r}: choose one of {', '.join(Tier.values)}.")
        if tier == Tier.ENTERPRISE and (limit is None or limit < 1):
            raise CommandError(
                "The enterprise tier needs --limit N (requests a minute, 1 or more)."
            )
        if tier != Tier.ENTERPRISE and limit is not None:
            raise CommandError(f"Only the enterprise tier takes --limit; {tier} has its own.")
        row, _ = PersonTier.objects.update_or_create(
            user=user, defaults={"tier": tier, "per_minute": limit}
        )
        self.stdout.write(
            f"{username} is now {row.get_tier_display()}: {row.limit} requests a minute."
        )
