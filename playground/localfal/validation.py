"""Validate an input against an endpoint schema, reporting errors as fal (FastAPI) does."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from playground.lib.schemaguard import CheckTimedOut, check_off_loop, time_limit
from playground.lib.schemaguard import bounded_validator as _bounded_validator


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    import json

    schema = json.loads(schema_json)
    return _bounded_validator(schema, format_checker=None)


def fal_errors(schema: dict[str, Any], data: Any) -> list[dict[str, Any]]:
    """fal's 422 `detail` list: [{"loc": ["body", ...], "msg": ..., "type": ...}].

    Bounded in time (lib/schemaguard.py): past the limit the input as a whole is refused."""
    import json

    if not isinstance(data, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    validator = _validator(json.dumps(schema, sort_keys=True))
    try:
        with time_limit():
            errors = sorted(
                validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
            )
    except CheckTimedOut as exc:
        return _timed_out(exc)
    return [item for error in errors for item in _as_fal(error)]


async def fal_errors_off_loop(schema: dict[str, Any], data: Any) -> list[dict[str, Any]]:
    """`fal_errors` in a thread: a slow check never holds the event loop."""
    try:
        return await check_off_loop(fal_errors, schema, data)
    except CheckTimedOut as exc:
        return _timed_out(exc)


def _timed_out(exc: CheckTimedOut) -> list[dict[str, Any]]:
    return [{"loc": ["body"], "msg": str(exc), "type": "timeout"}]


def _as_fal(error: ValidationError) -> list[dict[str, Any]]:
    loc = ["body", *error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            {"loc": [*loc, name], "msg": "Field required", "type": "missing"} for name in missing
        ]
    return [{"loc": loc, "msg": _message(error), "type": str(error.validator)}]


def _message(error: ValidationError) -> str:
    # jsonschema's anyOf message repeats the whole instance; say it plainly instead.
    if error.validator in ("anyOf", "oneOf"):
        return "Input does not match any allowed form of this field"
    return error.message[:300]
