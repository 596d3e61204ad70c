"""python manage.py create_access_token USERNAME [--label TEXT] [--team SLUG] [--days N]

Prints the new token alone on its last line, so scripts can take it with `tail -n1`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from playground.accounts.models import Team
from playground.gateway import tokens


class Command(BaseCommand):
    help = "Create a personal access token for the gateway and print it (shown only once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default="", help="what the token is for")
        parser.add_argument("--team", default=None, help="slug of a team whose fal key it uses")
        parser.add_argument("--days", type=int, default=None, help="expire after N days")

    def handle(self, *args, username: str, label: str, team: str | None, days, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        chosen = None
        if team:
            chosen = Team.objects.filter(slug=team).first()
            if chosen is None:
                raise CommandError(f"No team with the slug {team!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        expires = timezone.now() + timedelta(days=days) if days else None
        try:
            minted = tokens.mint(user, label=label, team=chosen, expires=expires)
        except tokens.TokenRefused as refusal:
            raise CommandError(str(refusal)) from None
        scope = f" for team {chosen.slug}" if chosen else ""
        self.stderr.write(f"Token …{minted.token.last4} created for {username}{scope}.")
        self.stdout.write(minted.secret)
