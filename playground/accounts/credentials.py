"""Which fal key a run uses (DESIGN.md): the team's key when acting for a team, else the
person's own key, else the server's FAL_KEY (unless SERVER_KEY_FALLBACK is off). In local
mode the emulator answers everyone and stored keys are kept but not used, so a fresh
machine never reaches the internet.

A stored key that can no longer be decrypted stops the run with a message saying so: it
never silently falls through to the next holder's key, which would bill someone else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from playground.accounts.models import FalCredential
from playground.lib import crypto
from playground.lib.crypto import UnreadableSecret

log = logging.getLogger(__name__)

TEAM_KEY_UNREADABLE = (
    "Your team's fal key can no longer be read: enter it again under Settings "
    "(a team admin or owner can, on the team's page)."
)
OWN_KEY_UNREADABLE = "Your fal key can no longer be read: enter it again under Settings → fal keys."


class NoFalKey(Exception):
    """fal mode, and neither the team, the person nor the server has a usable key.
    The message is meant for the person."""


class UnreadableFalKey(NoFalKey):
    """A stored key exists but cannot be decrypted (the encryption keys changed)."""


def resolve_fal_key(owner_id: int | None, team_id: int | None) -> str | None:
    """The key to send, or None for the emulator (local mode). Raises NoFalKey, or
    UnreadableFalKey when the first holder's stored key cannot be decrypted."""
    if settings.FAL_MODE == "local":
        return None
    holders: list[tuple[dict[str, int], str]] = []
    if team_id is not None:
        holders.append(({"team_id": team_id}, TEAM_KEY_UNREADABLE))
    if owner_id is not None:
        holders.append(({"user_id": owner_id}, OWN_KEY_UNREADABLE))
    for holder, unreadable in holders:
        credential = FalCredential.objects.filter(**holder).first()
        if credential is None:
            continue
        try:
            return credential.get_key()
        except UnreadableSecret:
            log.warning("fal key %s cannot be decrypted; it must be entered again", holder)
            raise UnreadableFalKey(unreadable) from None
    if settings.FAL_KEY and settings.SERVER_KEY_FALLBACK:
        return settings.FAL_KEY
    if settings.FAL_KEY:
        raise NoFalKey(
            "No fal key: add your key (or ask a team admin to add the team's) under Settings. "
            "This server does not lend its own key."
        )
    raise NoFalKey(
        "No fal key: add your key (or your team's) under Settings, or set FAL_KEY on the server."
    )


@dataclass
class Rotation:
    """What `rotate_stored_keys` did: counts, and the holders whose key no key reads."""

    rotated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


def rotate_stored_keys() -> Rotation:
    """Encrypt every stored fal key again with the first FIELD_ENCRYPTION_KEY. Keys already
    under it are left alone, so running it twice changes nothing the second time."""
    report = Rotation()
    for credential in FalCredential.objects.select_related("user", "team").iterator():
        old = credential.encrypted_key
        if crypto.is_current(old):
            report.current += 1
            continue
        try:
            new = crypto.rotate(old)
        except UnreadableSecret:
            report.unreadable.append(_holder(credential))
            continue
        # update(): the "updated" date people see is when the key was entered, not this;
        # matching the old value leaves a key replaced meanwhile alone.
        FalCredential.objects.filter(pk=credential.pk, encrypted_key=old).update(encrypted_key=new)
        report.rotated += 1
    return report


def _holder(credential: FalCredential) -> str:
    if credential.team is not None:
        return f"team {credential.team.slug}"
    return f"user {credential.user.get_username()}" if credential.user else "nobody"
