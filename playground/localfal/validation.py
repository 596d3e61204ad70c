"""Validate an input against an endpoint schema, reporting errors as fal (FastAPI) does."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json), format_checker=None)


def fal_errors(schema: dict[str, Any], data: Any) -> list[dict[str, Any]]:
    """fal's 422 `detail` list: [{"loc": ["body", ...], "msg": ..., "type": ...}]."""
    import json

    if not isinstance(data, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [item for error in errors for item in _as_fal(error)]


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
