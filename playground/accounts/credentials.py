"""Which fal key a run uses (DESIGN.md): the team's key when acting for a team, else the
person's own key, else the server's FAL_KEY. In local mode the emulator answers everyone and
stored keys are kept but not used, so a fresh machine never reaches the internet."""

from __future__ import annotations

import logging

from django.conf import settings

from playground.accounts.models import FalCredential
from playground.lib.crypto import UnreadableSecret

log = logging.getLogger(__name__)


class NoFalKey(Exception):
    """fal mode, and neither the team, the person nor the server has a usable key."""


def resolve_fal_key(owner_id: int | None, team_id: int | None) -> str | None:
    """The key to send, or None for the emulator (local mode). Raises NoFalKey."""
    if settings.FAL_MODE == "local":
        return None
    holders = []
    if team_id is not None:
        holders.append({"team_id": team_id})
    if owner_id is not None:
        holders.append({"user_id": owner_id})
    for holder in holders:
        credential = FalCredential.objects.filter(**holder).first()
        if credential is None:
            continue
        try:
            return credential.get_key()
        except UnreadableSecret:
            # The encryption key changed; fall through to the next holder rather than fail.
            log.warning("fal key %s cannot be decrypted; it must be entered again", holder)
    if settings.FAL_KEY:
        return settings.FAL_KEY
    raise NoFalKey(
        "No fal key: add your key (or your team's) under Settings, or set FAL_KEY on the server."
    )
