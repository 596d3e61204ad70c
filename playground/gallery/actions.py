"""Gallery writes: favorite, notes and tags, sharing, teams, delete and restore.

Keyword-only; callers have checked access (playground.jobs.access). Each saves only the
fields it changes, so a runner finishing the same generation at once loses nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from playground.accounts.live import ACCESS_CHANGED
from playground.activity.actions import record
from playground.activity.models import Action
from playground.jobs import actions as job_actions
from playground.jobs.models import Generation, Visibility

MAX_TAGS = 20
MAX_TAG_LENGTH = 32
TAG_SPLIT = re.compile(r"[,\n]+")


def parse_tags(text: str) -> list[str]:
    """Split "Portrait, v2 ,portrait" into ["portrait", "v2"]: lower-case, unique, ordered."""
    tags: list[str] = []
    for raw in TAG_SPLIT.split(text or ""):
        tag = " ".join(raw.split()).lower()[:MAX_TAG_LENGTH]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def new_share_token() -> str:
    return secrets.token_urlsafe(32)


def set_favorite(*, generation: Generation, favorite: bool) -> Generation:
    generation.favorite = favorite
    generation.save(update_fields=["favorite"])
    return generation


def update_notes(*, generation: Generation, notes: str, tags: list[str]) -> Generation:
    generation.notes = notes.strip()[:5000]
    generation.tags = tags
    generation.save(update_fields=["notes", "tags"])  # save() refreshes search_text
    return generation


def set_visibility(*, generation: Generation, visibility: str, actor: Any = None) -> Generation:
    """Link and public shares get a token (kept while shared, so the URL stays the same);
    anything else revokes it: the old URL answers 404 from then on. Only a public
    generation stays on its team's showcase (the showcase lists public ones only): one
    taken off it that way is in the team's activity log under `actor`."""
    generation.visibility = visibility
    fields = ["visibility"]
    if visibility in (Visibility.LINK, Visibility.PUBLIC):
        if not generation.share_token:
            generation.share_token = new_share_token()
            fields.append("share_token")
    else:
        generation.share_token = None
        fields.append("share_token")
    leaves_showcase = visibility != Visibility.PUBLIC and generation.in_showcase
    if leaves_showcase:
        generation.in_showcase = False
        fields.append("in_showcase")
    with transaction.atomic():
        generation.save(update_fields=fields)
        if leaves_showcase and generation.team_id is not None:
            _record_showcase(generation, actor)
    return generation


def reset_share_link(*, generation: Generation) -> Generation:
    """A new token for a shared generation: the old link stops working at once."""
    generation.share_token = new_share_token()
    generation.save(update_fields=["share_token"])
    return generation


def move_to_team(*, generations: Iterable[Generation], team: Any) -> int:
    """Post generations to `team` (None: take them back to personal). A private one
    posted to a team becomes visible to it; one taken back from a team becomes private
    unless it is shared by link. Its open live panels check their access again: the
    members of the team it left may no longer see it."""
    moved = 0
    with transaction.atomic():
        for generation in generations:
            if generation.team_id is not None and generation.team_id != getattr(team, "pk", None):
                message = {"type": ACCESS_CHANGED}
                transaction.on_commit(partial(job_actions.notify, generation, message))
            generation.team = team
            fields = ["team"]
            if team is not None and generation.visibility == Visibility.PRIVATE:
                generation.visibility = Visibility.TEAM
                fields.append("visibility")
            elif team is None and generation.visibility == Visibility.TEAM:
                generation.visibility = Visibility.PRIVATE
                fields.append("visibility")
            if generation.in_showcase and team is None:
                generation.in_showcase = False
                fields.append("in_showcase")
            generation.save(update_fields=fields)
            moved += 1
    return moved


def set_showcase(*, generation: Generation, shown: bool, actor: Any = None) -> Generation:
    """On (or off) its team's public showcase. Showing it makes it public, with a link.
    A change goes into the team's activity log under `actor` (the curator)."""
    changed = generation.in_showcase != shown
    with transaction.atomic():
        generation.in_showcase = shown
        if shown and generation.visibility != Visibility.PUBLIC:
            set_visibility(generation=generation, visibility=Visibility.PUBLIC)
        generation.save(update_fields=["in_showcase"])
        if changed and generation.team_id is not None:
            _record_showcase(generation, actor)
    return generation


def _record_showcase(generation: Generation, actor: Any) -> None:
    action = Action.SHOWCASE_ADDED if generation.in_showcase else Action.SHOWCASE_REMOVED
    record(
        generation.team_id,
        actor,
        action,
        target=generation.endpoint_id,
        target_url=generation.get_absolute_url(),
        details={"generation": str(generation.code)},
    )


def delete_generations(*, generations: Iterable[Generation]) -> int:
    """Soft delete (undoable until purged); running ones are also cancelled at fal."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for generation in generations:
            if generation.is_active:
                job_actions.request_cancel(generation=generation)
            generation.deleted_at = now
            generation.save(update_fields=["deleted_at"])
            count += 1
    return count


def restore_generations(*, generations: Iterable[Generation]) -> int:
    count = 0
    for generation in generations:
        generation.deleted_at = None
        generation.save(update_fields=["deleted_at"])
        count += 1
    return count
