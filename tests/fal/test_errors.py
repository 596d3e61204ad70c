from __future__ import annotations

import httpx
import pytest

from playground.fal.errors import (
    FalAuthError,
    FalHTTPError,
    FalNotFoundError,
    FalRateLimitError,
    FalServerError,
    FalValidationError,
    error_from_response,
)


def response(status: int, body=None, text: str | None = None, headers=None) -> httpx.Response:
    if body is not None:
        return httpx.Response(status, json=body, headers=headers)
    return httpx.Response(status, text=text or "", headers=headers)


def test_422_keeps_fal_field_errors_with_their_loc():
    detail = [
        {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "loras", 0, "scale"], "msg": "too big", "type": "less_than_equal"},
    ]
    error = error_from_response(response(422, {"detail": detail}))
    assert isinstance(error, FalValidationError)
    assert [e.path for e in error.field_errors] == ["prompt", "loras.0.scale"]
    assert error.errors_by_path() == {"prompt": ["Field required"], "loras.0.scale": ["too big"]}
    assert "prompt: Field required" in error.message


def test_422_with_a_string_detail_becomes_one_body_error():
    error = error_from_response(response(422, {"detail": "Image too small"}))
    assert isinstance(error, FalValidationError)
    assert error.field_errors[0].loc == ("body",)
    assert error.field_errors[0].msg == "Image too small"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, FalAuthError),
        (403, FalAuthError),
        (404, FalNotFoundError),
        (429, FalRateLimitError),
        (500, FalServerError),
        (503, FalServerError),
        (400, FalHTTPError),
    ],
)
def test_status_codes_map_to_typed_errors(status, cls):
    error = error_from_response(response(status, {"detail": "nope"}))
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == "nope"


def test_error_type_comes_from_body_or_header_and_request_id_is_kept():
    from_body = error_from_response(
        response(
            504,
            {"detail": "timed out", "error_type": "request_timeout"},
            headers={"x-fal-request-id": "r1"},
        )
    )
    assert from_body.error_type == "request_timeout"
    assert from_body.request_id == "r1"
    from_header = error_from_response(
        response(503, {"detail": "x"}, headers={"X-Fal-Error-Type": "runner_disconnected"})
    )
    assert from_header.error_type == "runner_disconnected"


def test_nginx_error_without_request_id_is_an_ingress_error():
    nginx = error_from_response(response(502, text="<html><center>nginx</center></html>"))
    assert isinstance(nginx, FalServerError)
    assert nginx.is_ingress
    assert nginx.message == "Bad Gateway"  # no HTML in messages shown to people
    app = error_from_response(
        response(502, {"detail": "nginx?"}, headers={"x-fal-request-id": "abc"})
    )
    assert not app.is_ingress


def test_user_start_timeout_is_recognised():
    error = error_from_response(
        response(504, {"detail": "t"}, headers={"X-Fal-Request-Timeout-Type": "user"})
    )
    assert isinstance(error, FalServerError)
    assert error.is_user_timeout
