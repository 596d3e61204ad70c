"""Why a SAML sign-in was refused, in words for the person at the sign-in page (the
technical reason goes to the log)."""

from __future__ import annotations

from saml2.response import (
    SignatureError,
    StatusError,
    StatusRequestDenied,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.sigver import MissingKey, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from playground.sso.errors import SignInRefused


class Replayed(Exception):
    """An assertion this site has already accepted."""


class NotForUs(Exception):
    """An answer addressed (Destination) to another URL; djangosaml2 gives no exception."""


class WrongIssuer(Exception):
    """Issued by another IdP than this provider's entity (one listed in the same metadata)."""


def plain_words(error: BaseException | None, label: str) -> str:
    """What to tell the person; `label` names the IdP ("Okta")."""
    text = str(error or "")
    if isinstance(error, SignInRefused):
        return text
    if isinstance(error, (Replayed, UnsolicitedResponse)):
        return (
            f"This answer from {label} was already used, or this browser did not ask for it. "
            "Start the sign-in again."
        )
    if isinstance(error, (ResponseLifetimeExceed, ToEarly)) or "expired" in text.lower():
        return (
            f"The answer from {label} has expired (or is not valid yet). Start the sign-in "
            "again; if it keeps happening, the clocks of the two servers disagree."
        )
    if isinstance(error, SignatureError) and "missing" in text.lower():
        return f"The answer from {label} was not signed, and Playground accepts only signed ones."
    if isinstance(error, (SignatureError, SigverError, MissingKey)):
        return f"The answer's signature is not {label}'s: it was refused."
    if "AudienceRestriction" in text:
        return f"{label} made this answer for another service, not this Playground (audience)."
    if isinstance(error, NotForUs) or (
        isinstance(error, VerificationError) and "recipient" in text.lower()
    ):
        return f"The answer from {label} was addressed to another site."
    if isinstance(error, WrongIssuer):
        return f"This answer did not come from {label}: it was refused."
    if isinstance(error, StatusRequestDenied):
        return f"{label} refused the sign-in (access was denied)."
    if isinstance(error, StatusError):
        return f"{label} could not sign you in."
    return f"The answer from {label} could not be accepted. Start the sign-in again."
