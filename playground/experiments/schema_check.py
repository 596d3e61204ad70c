"""A model's input schema as planning reads and checks it, and how its refusals read.

`_Schema` looks fields up ($ref followed) and checks a cell's whole input with the project's
bounded jsonschema validator; a refusal becomes a PlanError naming the top-level field and
the value in plain words ("guidance_scale: 25 is above the maximum 20").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from playground.catalog.formgen.resolve import Recursive, is_null, resolve
from playground.experiments.plan_error import PlanError
from playground.experiments.value_text import TIMES, _num, _shorten, _show
from playground.lib.schemaguard import CheckTimedOut, bounded_validator, time_limit

if TYPE_CHECKING:
    from playground.catalog.models import Endpoint


_NO_DEFAULT = object()


class _Schema:
    """A model's input schema with the checks planning needs."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint_id = endpoint.endpoint_id
        schema = endpoint.input_schema
        self.root: dict = schema if isinstance(schema, dict) else {}
        properties = self.root.get("properties")
        self.properties: dict = properties if isinstance(properties, dict) else {}
        self._validator = bounded_validator(self.root)  # one per schema, not per cell

    def field(self, name: str) -> dict:
        """The field's schema ($ref followed); PlanError when the model has no such field."""
        if name not in self.properties:
            raise PlanError(f"{name}: {self.endpoint_id} has no such field", field=name)
        return _resolved(self.properties[name], self.root)

    def default_of(self, name: str) -> Any:
        node = _resolved(self.properties.get(name), self.root)
        return node.get("default", _NO_DEFAULT)

    def check(self, value: dict, *, prefix: str = "") -> None:
        """Raises PlanError for the first thing the schema refuses in `value`."""
        try:
            with time_limit():
                error = best_match(self._validator.iter_errors(value))
        except CheckTimedOut as exc:
            raise PlanError(f"{prefix}{exc}", field="input") from None
        if error is not None:
            field, message = _explain(error, self)
            raise PlanError(prefix + message, field=field)


def _resolved(node: Any, root: dict) -> dict:
    try:
        resolved, _ = resolve(node, root)
    except Recursive:
        return {}
    return resolved


# --- messages ------------------------------------------------------------------------------


def _explain(error: ValidationError, schema: _Schema) -> tuple[str, str]:
    """(top-level field, "field: value is … ") for one jsonschema error."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        where = ".".join([*path, str(missing[0])]) if missing else ".".join(path)
        return (path or [where])[0], f"{where} is required"
    if error.validator == "additionalProperties" and not path:
        extra = next((key for key in error.instance if key not in schema.properties), "")
        return extra, f"{extra}: {schema.endpoint_id} has no such field"
    where = ".".join(path) or "input"
    if error.validator in ("anyOf", "oneOf"):
        return path[0] if path else "", f"{where}: {_union_problem(error, schema.root)}"
    return path[0] if path else "", f"{where}: {_problem(error)}"


_PROBLEMS: dict[str, Callable[[Any, Any], str]] = {
    "maximum": lambda value, limit: f"{_show(value)} is above the maximum {_num(limit)}",
    "minimum": lambda value, limit: f"{_show(value)} is below the minimum {_num(limit)}",
    "exclusiveMaximum": lambda value, limit: f"{_show(value)} must be below {_num(limit)}",
    "exclusiveMinimum": lambda value, limit: f"{_show(value)} must be above {_num(limit)}",
    "multipleOf": lambda value, limit: f"{_show(value)} is not a multiple of {_num(limit)}",
    "enum": lambda value, limit: f"{_show(value)} is not one of {_choices(limit)}",
    "const": lambda value, limit: f"{_show(value)} must be {_show(limit)}",
    "type": lambda value, limit: f"{_show(value)} is not {_type_name(limit)}",
    "minLength": lambda value, limit: f"{_show(value)} is shorter than {limit} characters",
    "maxLength": lambda value, limit: f"{_show(value)} is longer than {limit} characters",
    "minItems": lambda value, limit: f"{_show(value)} has fewer than {limit} items",
    "maxItems": lambda value, limit: f"{_show(value)} has more than {limit} items",
}
_TYPE_NAMES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
}


def _problem(error: ValidationError) -> str:
    explain = _PROBLEMS.get(str(error.validator))
    if explain is None:
        return _shorten(error.message, 120)  # jsonschema quotes the value, which may be huge
    return explain(error.instance, error.validator_value)


def _union_problem(error: ValidationError, root: dict) -> str:
    """The problem in the branch the value was meant for (the one it had the shape of),
    else which forms the field takes."""
    context = list(error.context or [])
    wrong_shape = {sub.schema_path[0] for sub in context if not sub.relative_path}
    deeper = [sub for sub in context if sub.relative_path and sub.schema_path[0] not in wrong_shape]
    if deeper:
        return _problem(best_match(deeper))
    forms = [_form_name(_resolved(branch, root)) for branch in error.validator_value]
    return f"{_show(error.instance)} is not {' or '.join(form for form in forms if form)}"


def _form_name(branch: dict) -> str:
    if is_null(branch):
        return ""
    if isinstance(branch.get("enum"), list):
        return f"one of {_choices(branch['enum'])}"
    if {"width", "height"} <= set(branch.get("properties") or {}):
        return f"a width{TIMES}height size"
    return _type_name(branch.get("type"))


def _type_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    names = [_TYPE_NAMES.get(each, str(each)) for each in kinds if each and each != "null"]
    return " or ".join(names) or "a valid value"


def _choices(values: Any) -> str:
    return ", ".join(str(value) for value in values) if isinstance(values, list) else "?"
