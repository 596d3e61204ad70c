"""Telling a person's open pages that what they may see changed.

Live panels (jobs/consumers.py) check access when they connect, and each also joins the
group of its person (`user.<id>`). When a membership is removed or changed, or a team is
deleted, that group hears "access.changed" and every panel looks again, closing when the
person lost access. Sent after the transaction commits, so panels read the new state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
ACCESS_CHANGED = "access.changed"  # the message type; GenerationConsumer.access_changed
LIMIT_FIELDS = frozenset({"monthly_budget", "rate_limit"})


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_access_changed(user_ids: Iterable[int]) -> None:
    """Tell the open pages of these people to check their access again (sync contexts)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id in set(user_ids):
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": ACCESS_CHANGED})
        except Exception:  # a dead channel layer must not fail a membership change
            log.warning("could not tell user %s's pages of a change", user_id, exc_info=True)


def access_changed_on_commit(user_ids: Iterable[int]) -> None:
    transaction.on_commit(partial(notify_access_changed, list(user_ids)))


def membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_save / post_delete of a Membership (removal, leaving, a deleted team or user,
    a role edited in the admin)."""
    if kwargs.get("created"):
        return  # joining gives access; nothing open can have been refused it
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= LIMIT_FIELDS:
        return  # a budget or rate limit (limits/actions.py) changes nothing anyone may see
    access_changed_on_commit([instance.user_id])
