"""Who is calling the gateway: a personal access token, or a signed-in browser session.

Anything else gets a 401 JSON answer. The caller's own `Authorization` header is only ever
read here; it is never forwarded to fal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware

from playground.gateway import tokens
from playground.gateway.models import AccessToken
from playground.lib.memo import NotRemembered
from playground.localfal.auth import credential

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    user_id: int
    token: AccessToken | None = None

    @property
    def team_id(self) -> int | None:
        return self.token.team_id if self.token else None


class Refused(Exception):
    def __init__(
        self, message: str, status: int, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers  # e.g. Retry-After on a 429

    def response(self) -> JsonResponse:
        answer = JsonResponse({"detail": str(self)}, status=self.status)
        if self.status == 401:
            answer["WWW-Authenticate"] = 'Key realm="playground"'
        for name, value in self.headers:
            answer[name] = value
        return answer


def identify(request: HttpRequest, *, memory_only: bool = False) -> Caller:
    """The caller, or Refused (401 without credentials, 403 for a session write without
    a valid CSRF token). Synchronous: the gateway checks everything in one database hop.
    `memory_only`: see memo.py (sessions are never remembered)."""
    header = request.headers.get("Authorization", "")
    if header:
        return token_caller(header, memory_only=memory_only)
    if memory_only:
        raise NotRemembered
    user = request.user
    if not user.is_authenticated:
        raise anonymous()
    if request.method not in SAFE_METHODS and _csrf_refusal(request) is not None:
        raise Refused("Browser calls with a session need the CSRF token (X-CSRFToken header).", 403)
    return Caller(user_id=user.pk)


def token_caller(header: str, *, memory_only: bool = False) -> Caller:
    """The holder of the token in an `Authorization` header (`Key` or `Bearer`), or
    Refused 401. `memory_only`: see memo.py."""
    token = tokens.holder_of(credential(header), memory_only=memory_only)
    if token is None:
        raise Refused("Unknown, expired or revoked access token.", 401)
    return Caller(user_id=token.user_id, token=token)


def anonymous() -> Refused:
    return Refused("Sign in, or send a personal access token as 'Authorization: Key <token>'.", 401)


def _csrf_refusal(request: HttpRequest):
    # The same check Django's middleware makes (Origin, Referer, token), on demand: token
    # callers are not browsers and carry no cookie, so the view itself is csrf_exempt.
    check = CsrfViewMiddleware(lambda r: None)
    request.csrf_processing_done = False
    return check.process_view(request, None, (), {})
