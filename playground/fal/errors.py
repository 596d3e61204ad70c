"""Typed errors for everything that can go wrong talking to fal.

They keep fal's own details (status, `detail`, `error_type`, request id, 422 field errors
with their `loc`) so the UI can show them in plain words next to the right fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"

    @property
    def path(self) -> str:
        """`loc` without the leading "body", dotted: ("body", "loras", 0) -> "loras.0"."""
        parts = self.loc[1:] if self.loc and self.loc[0] == "body" else self.loc
        return ".".join(str(part) for part in parts)


class FalError(Exception):
    """Base of every error raised by playground.fal."""

    retryable = False


class FalConnectionError(FalError):
    """fal could not be reached (DNS, refused connection, TLS, dropped connection)."""

    retryable = True


class FalTimeoutError(FalError):
    """No answer within the client's timeout (or fal's 504 request/startup timeout)."""

    retryable = True


class FalURLRefused(FalError):
    """A URL in fal's answer leads to an address this server does not fetch from
    (loopback, the local network, a metadata service): never retried."""


class FalHTTPError(FalError):
    """fal answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: Any = None,
        error_type: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.detail = detail
        self.error_type = error_type
        self.request_id = request_id
        self.headers = headers or {}
        self.body = body

    def __str__(self) -> str:
        suffix = f" [{self.error_type}]" if self.error_type else ""
        return f"HTTP {self.status_code}: {self.message}{suffix}"


class FalValidationError(FalHTTPError):
    """422: the input does not match the endpoint's schema."""

    @property
    def field_errors(self) -> list[FieldError]:
        if isinstance(self.detail, list):
            return [_field_error(item) for item in self.detail if isinstance(item, dict)]
        # Some endpoints answer a plain string; fal-js synthesises the same shape.
        return [FieldError(loc=("body",), msg=str(self.detail or self.message))]

    def errors_by_path(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for error in self.field_errors:
            grouped.setdefault(error.path, []).append(error.msg)
        return grouped


class FalAuthError(FalHTTPError):
    """401/403: missing, wrong or insufficient fal key."""


class FalNotFoundError(FalHTTPError):
    """404: unknown endpoint or request id."""


class FalRateLimitError(FalHTTPError):
    """429: too many concurrent requests; always safe to retry later."""

    retryable = True


class FalServerError(FalHTTPError):
    """5xx from fal or its ingress."""

    @property
    def is_ingress(self) -> bool:
        """An error from the load balancer: the request never reached a fal app.

        Same rule as the official Python client: no x-fal-request-id and an nginx body.
        """
        return "x-fal-request-id" not in self.headers and "nginx" in str(self.body).lower()

    @property
    def is_user_timeout(self) -> bool:
        return self.headers.get("x-fal-request-timeout-type") == "user"


def _field_error(item: dict[str, Any]) -> FieldError:
    loc = item.get("loc") or ["body"]
    return FieldError(
        loc=tuple(loc) if isinstance(loc, list) else (str(loc),),
        msg=str(item.get("msg") or item.get("message") or "invalid value"),
        type=str(item.get("type") or "value_error"),
    )


def error_from_response(response: httpx.Response) -> FalHTTPError:
    """Map a non-2xx fal response to the matching typed error."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    body = _body_of(response)
    detail = body.get("detail") if isinstance(body, dict) else None
    error_type = (body.get("error_type") if isinstance(body, dict) else None) or headers.get(
        "x-fal-error-type"
    )
    cls = _class_for(response.status_code)
    return cls(
        _message(response, body, detail),
        status_code=response.status_code,
        detail=detail,
        error_type=error_type,
        request_id=headers.get("x-fal-request-id"),
        headers=headers,
        body=body,
    )


def _class_for(status: int) -> type[FalHTTPError]:
    if status == 422:
        return FalValidationError
    if status in (401, 403):
        return FalAuthError
    if status == 404:
        return FalNotFoundError
    if status == 429:
        return FalRateLimitError
    if status >= 500:
        return FalServerError
    return FalHTTPError


def _body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]


def _message(response: httpx.Response, body: Any, detail: Any) -> str:
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:
        return "; ".join(f"{e.path or 'input'}: {e.msg}" for e in map(_field_error, detail))
    if isinstance(body, str) and body.strip() and "<html" not in body.lower():
        return body.strip()[:300]
    return response.reason_phrase or f"HTTP {response.status_code}"
