"""Template context of the accounts app."""

from __future__ import annotations

from django.http import HttpRequest

from playground.accounts.signup import SignupOffer


def signup(request: HttpRequest) -> dict[str, SignupOffer]:
    """`signup.open` (offer a plain "Sign up") and `signup.mode` (open, invite, closed)."""
    return {"signup": SignupOffer()}
