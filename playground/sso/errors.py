"""A sign-in refused, with a message meant for the person signing in."""

from __future__ import annotations


class SignInRefused(Exception):
    """Raised by a protocol's checks; str() is shown on the sign-in page as it is, so it
    names no secret and no internals."""
