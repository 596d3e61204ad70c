"""Planning an experiment: from a model, a base input and a spec to every run, checked.

Pure: nothing is stored or run here. `plan_experiment` expands a spec (from the form or the
API) into a `Plan`: 1 to 3 labelled axes and one `Cell` per combination, each holding the
full input to run, validated against its model's input schema before anything runs.

Specs, one of:
- seeds:   {"kind": "seeds", "count": 8} (random distinct seeds) or {"kind": "seeds",
           "seeds": [1, 2, 3]}
- prompts: {"kind": "prompts", "prompts": ["a fox", "a cat"]} (one per line when a string)
           or {"kind": "prompts", "matrix": "a {red|blue} {fox|cat}"} (every combination)
- sweep:   {"kind": "sweep", "axes": [{"field": "guidance_scale", "values": "1..5 step 2"},
           ...]}, up to 3 axes; values a range "start..end step s" ("start..end": step 1,
           the end included when it lands on a step), a comma list "1, 2.5, 4", or a JSON
           list; "1024x768" stands for {"width": 1024, "height": 768} in size fields
- models:  {"kind": "models", "models": ["fal-ai/flux/schnell", "fal-ai/fast-sdxl"]}: the
           same input on each model (the planned model first unless listed), mapped by name

Limits: settings.EXPERIMENT_MAX_RUNS caps a plan; needs_confirmation() is true above
settings.EXPERIMENT_CONFIRM_ABOVE.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from playground.catalog.categories import category_label
from playground.catalog.formgen.resolve import Recursive, is_null, resolve, union_list
from playground.jobs.seeds import seed_bounds
from playground.lib.schemaguard import CheckTimedOut, bounded_validator, time_limit

if TYPE_CHECKING:
    from playground.catalog.models import Endpoint

MAX_AXES = 3
DEFAULT_MAX_RUNS = 200
DEFAULT_CONFIRM_ABOVE = 24
LABEL_CHARS = 40
SEED = "seed"
PROMPT = "prompt"
# Fields that models of one kind name differently; mapped only when the target lacks the
# source's name (flux calls it output_format, fast-sdxl format: both jpeg/png).
RENAMES = {"output_format": ("format",), "format": ("output_format",)}

_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*(?:step\s+({_NUMBER}))?\s*$", re.I)
_IS_NUMBER = re.compile(rf"^{_NUMBER}$")
TIMES = "\N{MULTIPLICATION SIGN}"  # sizes read "1024 times 768" with the proper sign
_SIZE = re.compile(rf"^(\d+)\s*[x{TIMES}]\s*(\d+)$", re.I)
_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_GROUP = re.compile(r"\{([^{}]*)\}")


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    key: str  # "seed", "prompt", "model", or a top-level input field name ("guidance_scale")
    label: str  # the axis title ("Guidance scale (CFG)", "Seed", "Prompt", "Model")
    values: tuple  # JSON-able values, in order (for "model": endpoint ids)
    value_labels: tuple[str, ...]  # a short label for each value ("3.5", "a red fox…")


@dataclass(frozen=True)
class Cell:
    coords: tuple[int, ...]  # index into each axis, in Plan.axes order (x, then y, then z)
    endpoint_id: str
    input: dict  # the full input to run: base input, this cell's values, mapped for its model


@dataclass(frozen=True)
class Plan:
    kind: str  # "seeds" | "prompts" | "sweep" | "models"
    axes: tuple[Axis, ...]  # 1 to 3
    cells: tuple[Cell, ...]  # every combination, row-major (x varies fastest)
    notes: tuple[str, ...]  # to show before running ("fast-sdxl has no field acceleration…")

    @property
    def size(self) -> int:
        return len(self.cells)


class PlanError(ValueError):
    """An experiment that cannot run as asked; `field` names the spec or input field at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def max_runs() -> int:
    return int(getattr(settings, "EXPERIMENT_MAX_RUNS", DEFAULT_MAX_RUNS))


def needs_confirmation(plan: Plan) -> bool:
    """Whether the plan is big enough that the person confirms it before it runs."""
    return plan.size > int(getattr(settings, "EXPERIMENT_CONFIRM_ABOVE", DEFAULT_CONFIRM_ABOVE))


def plan_experiment(
    *,
    endpoint: Endpoint,
    base_input: dict,
    spec: dict,
    endpoints_by_id: Mapping[str, Endpoint] | None = None,
) -> Plan:
    """Every run of the experiment `spec` describes on `endpoint` from `base_input`.

    Raises PlanError (naming the field) for a spec that does not fit the model's schema, a
    cell whose input the schema refuses, or a plan over settings.EXPERIMENT_MAX_RUNS."""
    if not isinstance(spec, dict):
        raise PlanError("Describe the experiment as an object with a kind.", field="kind")
    if not isinstance(base_input, dict):
        raise PlanError("The input must be an object.", field="input")
    kind = spec.get("kind")
    planner = _PLANNERS.get(kind) if isinstance(kind, str) else None
    if planner is None:
        raise PlanError(
            f"Unknown experiment kind {_show(kind)}: choose seeds, prompts, sweep or models.",
            field="kind",
        )
    return planner(endpoint, base_input, spec, endpoints_by_id or {})


# --- seeds ---------------------------------------------------------------------------------


def _plan_seeds(endpoint: Endpoint, base_input: dict, spec: dict, _: Mapping) -> Plan:
    schema = _Schema(endpoint)
    bounds = seed_bounds(schema.root)
    if bounds is None:
        raise PlanError(f"{endpoint.endpoint_id} takes no seed", field=SEED)
    if "seeds" in spec:
        seeds = _listed_seeds(spec["seeds"])
    else:
        seeds = _random_seeds(_seed_count(spec.get("count")), bounds)
    axis = Axis(SEED, "Seed", tuple(seeds), tuple(str(seed) for seed in seeds))
    return _plan_on_one_model("seeds", schema, base_input, (axis,), field="seeds")


def _seed_count(raw: Any) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise PlanError("count: give how many seeds to try (1 or more)", field="count")
    _check_cap(raw, field="count")
    return raw


def _random_seeds(count: int, bounds: tuple[int, int]) -> list[int]:
    """`count` distinct seeds within the field's bounds, unpredictable (SystemRandom)."""
    low, high = bounds
    if high - low + 1 < count:
        raise PlanError(f"count: the seed takes only {high - low + 1} values", field="count")
    return random.SystemRandom().sample(range(low, high + 1), count)


def _listed_seeds(raw: Any) -> list[int]:
    items = _split_list(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise PlanError("seeds: list at least one seed", field="seeds")
    seeds = []
    for item in items:
        if isinstance(item, str) and re.fullmatch(r"[-+]?\d+", item):
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int):
            raise PlanError(f"seeds: {_show(item)} is not a whole number", field="seeds")
        seeds.append(item)
    _refuse_duplicates(seeds, field="seeds")
    _check_cap(len(seeds), field="seeds")
    return seeds


# --- prompts -------------------------------------------------------------------------------


def _plan_prompts(endpoint: Endpoint, base_input: dict, spec: dict, _: Mapping) -> Plan:
    schema = _Schema(endpoint)
    if PROMPT not in schema.properties:
        raise PlanError(f"{endpoint.endpoint_id} takes no prompt", field=PROMPT)
    field = "matrix" if "matrix" in spec else "prompts"
    prompts = _expand_matrix(spec["matrix"]) if field == "matrix" else _listed_prompts(spec)
    _refuse_duplicates(prompts, field=field)
    axis = Axis(PROMPT, "Prompt", tuple(prompts), _prompt_labels(prompts))
    return _plan_on_one_model("prompts", schema, base_input, (axis,), field=field)


def _listed_prompts(spec: dict) -> list[str]:
    """The prompts of a list, or of a text one per line; each stripped, blanks dropped."""
    raw = spec.get("prompts")
    lines = raw.splitlines() if isinstance(raw, str) else raw
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise PlanError("prompts: give the prompts as text, one per line", field="prompts")
    prompts = [line.strip() for line in lines if line.strip()]
    if not prompts:
        raise PlanError("prompts: write at least one prompt", field="prompts")
    _check_cap(len(prompts), field="prompts")
    return prompts


def _expand_matrix(raw: Any) -> list[str]:
    """Every prompt a matrix stands for, "a {red|blue} fox" -> a red fox, a blue fox; the
    last group varies fastest, as one reads them."""
    if not isinstance(raw, str) or not raw.strip():
        raise PlanError("matrix: write a prompt with {a|b} alternatives", field="matrix")
    pieces = _GROUP.split(raw)  # literal, group, literal, group, ..., literal
    literals, groups = pieces[0::2], [group.split("|") for group in pieces[1::2]]
    if any("{" in text or "}" in text for text in literals):
        raise PlanError("matrix: a { has no matching } (or braces are nested)", field="matrix")
    if not any(len(group) > 1 for group in groups):
        raise PlanError("matrix: write alternatives as {a|b}", field="matrix")
    _check_cap(math.prod(len(group) for group in groups), field="matrix")
    prompts = [_join_matrix(literals, choice) for choice in itertools.product(*groups)]
    if "" in prompts:
        raise PlanError("matrix: one combination leaves the prompt empty", field="matrix")
    return prompts


def _join_matrix(literals: list[str], choice: tuple[str, ...]) -> str:
    rest = zip(choice, literals[1:], strict=True)
    text = literals[0] + "".join(alternative + literal for alternative, literal in rest)
    # An empty alternative ("a {|big }fox") leaves doubled spaces behind.
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _prompt_labels(prompts: Sequence[str]) -> tuple[str, ...]:
    """Short labels that tell prompts apart: shortened prompts, or, when those collide
    (long prompts differing late), what follows their common beginning."""
    labels = tuple(_shorten(prompt) for prompt in prompts)
    if len(set(labels)) == len(labels) or len(prompts) < 2:
        return labels
    common = len(_common_words_prefix(prompts))
    return tuple(_shorten("…" + prompt[common:]) for prompt in prompts)


def _common_words_prefix(texts: Sequence[str]) -> str:
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind(" ") + 1]  # cut back to a word boundary


# --- sweeps --------------------------------------------------------------------------------


def _plan_sweep(endpoint: Endpoint, base_input: dict, spec: dict, _: Mapping) -> Plan:
    schema = _Schema(endpoint)
    raw_axes = spec.get("axes")
    if not isinstance(raw_axes, list) or not raw_axes:
        raise PlanError("Pick at least one field to sweep.", field="axes")
    axes: list[Axis] = []
    for position, raw in enumerate(raw_axes):
        field = raw.get("field") if isinstance(raw, dict) else None
        if not isinstance(field, str) or not field:
            raise PlanError(f"Axis {position + 1} names no field.", field="axes")
        if position == MAX_AXES:
            raise PlanError(f"{field}: a sweep has at most {MAX_AXES} axes", field=field)
        if any(axis.key == field for axis in axes):
            raise PlanError(f"{field} is swept twice", field=field)
        axes.append(_sweep_axis(schema, field, raw.get("values")))
    return _plan_on_one_model("sweep", schema, base_input, tuple(axes), field="axes")


def _sweep_axis(schema: _Schema, field: str, raw: Any) -> Axis:
    if field == PROMPT:
        raise PlanError("prompt: vary the prompt with a Prompts experiment", field=field)
    node = schema.field(field)
    shape = _Shape.of(node, schema.root)
    if not shape.sweepable:
        raise PlanError(f"{field}: lists and objects cannot be swept", field=field)
    values = _sweep_values(field, shape, raw)
    if not values:
        raise PlanError(f"{field}: give at least one value", field=field)
    _refuse_duplicates(values, field=field)
    _check_cap(len(values), field=field)
    title = node.get("title") if isinstance(node.get("title"), str) else ""
    return Axis(field, title or _humanize(field), tuple(values), tuple(map(_label, values)))


def _sweep_values(field: str, shape: _Shape, raw: Any) -> list[Any]:
    """The values an axis takes, from a JSON list, a range string or a comma list."""
    if isinstance(raw, list):
        return [_coerce(item, shape) for item in raw]
    if not isinstance(raw, str):
        raise PlanError(f"{field}: give the values as a list or a range", field=field)
    found = _RANGE.match(raw)
    if found is None:
        return [_coerce(token, shape) for token in _split_list(raw)]
    if not shape.numeric:
        raise PlanError(f"{field}: ranges are for numbers; list the values", field=field)
    start, end, step = (Decimal(part) for part in found.groups("1"))
    return [shape.number(value) for value in _expand_range(field, start, end, step, shape)]


def _expand_range(field: str, start: Decimal, end: Decimal, step: Decimal, shape: _Shape):
    """start, start ± step, ... up to end (included when it lands on a step). Decimal keeps
    the values exact: 1..2 step 0.1 ends at 2.0, not 1.9999999999999998."""
    if step <= 0:
        raise PlanError(f"{field}: the step must be above 0", field=field)
    if shape.integer_only and any(part != part.to_integral_value() for part in (start, step)):
        raise PlanError(f"{field} takes whole numbers; use a whole step", field=field)
    try:
        count = int(abs(end - start) // step) + 1
    except InvalidOperation:  # a quotient past Decimal's 28 digits: far over any cap
        raise PlanError(f"{field}: that range has far too many values", field=field) from None
    _check_cap(count, field=field)  # before building a million values
    direction = 1 if end >= start else -1
    return [start + direction * step * index for index in range(count)]


@dataclass(frozen=True)
class _Shape:
    """What a field takes, as far as turning typed text into values needs."""

    types: frozenset[str]
    sized: bool  # a branch is an object with width and height (image_size)

    @classmethod
    def of(cls, node: dict, root: dict) -> _Shape:
        types: set[str] = set()
        sized = False
        for branch in union_list(node) or [node]:
            branch = _resolved(branch, root)
            if is_null(branch):
                continue
            types |= _types_of(branch)
            sized = sized or {"width", "height"} <= set(branch.get("properties") or {})
        return cls(frozenset(types), sized)

    @property
    def numeric(self) -> bool:
        return bool(self.types & {"integer", "number"})

    @property
    def integer_only(self) -> bool:
        return "integer" in self.types and "number" not in self.types

    @property
    def sweepable(self) -> bool:
        objects_ok = self.sized or "object" not in self.types
        return "array" not in self.types and objects_ok

    def number(self, value: Decimal) -> int | float:
        """An int for whole values of integer fields and for numbers written without a
        decimal point; a float otherwise (Decimal keeps how many decimals were written)."""
        exponent = value.as_tuple().exponent  # 0 for "2", -1 for "2.0"
        written_whole = isinstance(exponent, int) and exponent >= 0
        if value == value.to_integral_value() and (self.integer_only or written_whole):
            return int(value)
        return float(value)


def _types_of(branch: dict) -> set[str]:
    kind = branch.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {each for each in kind if isinstance(each, str) and each != "null"}
    if isinstance(branch.get("enum"), list):
        return {_json_type(value) for value in branch["enum"] if value is not None}
    return {"object"} if "properties" in branch else set()


def _coerce(item: Any, shape: _Shape) -> Any:
    """A typed or listed value as the field takes it; what does not fit stays as it is
    and the schema check says why."""
    if isinstance(item, float) and shape.integer_only and item.is_integer():
        return int(item)
    if not isinstance(item, str):
        return item
    text = item.strip()
    if shape.numeric and _IS_NUMBER.match(text):
        return shape.number(Decimal(text))
    if "boolean" in shape.types and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    size = _SIZE.match(text) if shape.sized else None
    if size:
        return {"width": int(size.group(1)), "height": int(size.group(2))}
    return item


# --- models --------------------------------------------------------------------------------


def _plan_models(
    endpoint: Endpoint, base_input: dict, spec: dict, endpoints_by_id: Mapping[str, Endpoint]
) -> Plan:
    models = _compared_models(endpoint, spec.get("models"), endpoints_by_id)
    _check_cap(len(models), field="models")
    ids = tuple(model.endpoint_id for model in models)
    axis = Axis("model", "Model", ids, tuple(_short_id(each) for each in ids))
    source, targets = _Schema(endpoint), [_Schema(model) for model in models]
    base_input, seed_notes = _with_shared_seed(source, base_input, targets)
    cells, notes = [], list(seed_notes)
    for index, (model, target) in enumerate(zip(models, targets, strict=True)):
        if model.endpoint_id == endpoint.endpoint_id:
            mapped: dict = copy.deepcopy(base_input)
        else:
            mapped, model_notes = _map_input(source, target, base_input)
            notes += model_notes
        target.check(mapped, prefix=f"{_short_id(model.endpoint_id)}: ")
        cells.append(Cell((index,), model.endpoint_id, mapped))
    return Plan("models", (axis,), tuple(cells), tuple(notes))


def _compared_models(
    endpoint: Endpoint, raw: Any, endpoints_by_id: Mapping[str, Endpoint]
) -> list[Endpoint]:
    """The models to compare, the planned one first unless the list places it."""
    if not isinstance(raw, list) or not all(isinstance(each, str) for each in raw) or not raw:
        raise PlanError("models: pick the models to compare", field="models")
    _refuse_duplicates(raw, field="models")
    ids = raw if endpoint.endpoint_id in raw else [endpoint.endpoint_id, *raw]
    if len(ids) < 2:
        raise PlanError("models: pick at least one other model", field="models")
    return [_same_kind(endpoint, each, endpoints_by_id) for each in ids]


def _same_kind(endpoint: Endpoint, endpoint_id: str, known: Mapping[str, Endpoint]) -> Endpoint:
    model = endpoint if endpoint_id == endpoint.endpoint_id else known.get(endpoint_id)
    if model is None:
        raise PlanError(f"models: there is no model {endpoint_id}", field="models")
    if model.category != endpoint.category:
        theirs, ours = category_label(model.category), category_label(endpoint.category)
        raise PlanError(
            f"{endpoint_id} ({theirs}) is not the same kind of model as "
            f"{endpoint.endpoint_id} ({ours}); only models of the same kind can be compared",
            field="models",
        )
    return model


def _map_input(source: _Schema, target: _Schema, base_input: dict) -> tuple[dict, list[str]]:
    """`base_input` for `target`, by field name, and notes on what changed. Only what the
    person gave is carried over; the target's own defaults apply to everything else, and
    to fields left at the source's default when the target's default differs (flux/dev's
    28 steps would be over flux/schnell's maximum of 12)."""
    name, mapped, notes = _short_id(target.endpoint_id), {}, []
    for field, value in base_input.items():
        to = _target_field(field, target, base_input)
        if to is None:
            notes.append(f"{name} has no field {field}; it is left out")
            continue
        if to != field:
            notes.append(f"{name} calls {field} “{to}”")
        own_default = target.default_of(to)
        if source.default_of(field) == value and own_default not in (_NO_DEFAULT, value):
            notes.append(f"{name} uses its own default {_show(own_default)} for {to}")
            continue
        mapped[to] = copy.deepcopy(value)
    return mapped, notes


def _target_field(field: str, target: _Schema, base_input: dict) -> str | None:
    if field in target.properties:
        return field
    for other in RENAMES.get(field, ()):
        if other in target.properties and other not in base_input:
            return other
    return None


def _short_id(endpoint_id: str) -> str:
    return endpoint_id.removeprefix("fal-ai/")


# --- building and checking cells -----------------------------------------------------------


def _plan_on_one_model(
    kind: str, schema: _Schema, base_input: dict, axes: tuple[Axis, ...], *, field: str
) -> Plan:
    _check_cap(math.prod(len(axis.values) for axis in axes), field=field)
    notes: tuple[str, ...] = ()
    if all(axis.key != SEED for axis in axes):
        base_input, notes = _with_shared_seed(schema, base_input)
    cells = []
    for coords in _row_major(axes):
        cell_input = copy.deepcopy(base_input)
        for axis, index in zip(axes, coords, strict=True):
            cell_input[axis.key] = copy.deepcopy(axis.values[index])
        schema.check(cell_input)
        cells.append(Cell(coords, schema.endpoint_id, cell_input))
    return Plan(kind, axes, tuple(cells), notes)


def _with_shared_seed(
    schema: _Schema, base_input: dict, others: Sequence[_Schema] = ()
) -> tuple[dict, tuple[str, ...]]:
    """The base input with one seed for every cell when it leaves the seed random, and a
    note saying so. Cells are compared, so only what the experiment varies may differ;
    each run would otherwise draw its own seed when submitted. The seed fits `others`
    too when their bounds allow (fal-ai/mmaudio-v2 takes seeds up to 65535 only)."""
    bounds = seed_bounds(schema.root)
    if bounds is None or base_input.get(SEED) is not None:
        return base_input, ()
    seed = _random_seeds(1, _narrowed(bounds, [seed_bounds(other.root) for other in others]))[0]
    return {**base_input, SEED: seed}, (f"Every run uses seed {seed}, so results compare.",)


def _narrowed(bounds: tuple[int, int], others: list[tuple[int, int] | None]) -> tuple[int, int]:
    low = max([bounds[0], *(other[0] for other in others if other)])
    high = min([bounds[1], *(other[1] for other in others if other)])
    return (low, high) if low <= high else bounds


def _row_major(axes: Sequence[Axis]) -> Iterator[tuple[int, ...]]:
    """Every coordinate, x varying fastest, then y, then z."""
    ranges = [range(len(axis.values)) for axis in reversed(axes)]
    for backwards in itertools.product(*ranges):
        yield tuple(reversed(backwards))


def _check_cap(size: int, *, field: str) -> None:
    cap = max_runs()
    if size > cap:
        raise PlanError(
            f"This experiment would make {size} runs; the limit is {cap} (EXPERIMENT_MAX_RUNS).",
            field=field,
        )


def _refuse_duplicates(values: Sequence[Any], *, field: str) -> None:
    seen: list[Any] = []
    for value in values:
        # A list, not a set: values may be dicts. 4 and 4.0 are the same run; true and 1 not.
        if any(_same(value, other) for other in seen):
            raise PlanError(f"{field}: {_show(value)} is listed twice", field=field)
        seen.append(value)


def _same(one: Any, other: Any) -> bool:
    return isinstance(one, bool) == isinstance(other, bool) and one == other


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


# --- labels and small helpers --------------------------------------------------------------


def _label(value: Any) -> str:
    """A short label for a swept value: 3.5, on, landscape_4_3, 1024x768 (with a times sign)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, dict) and set(value) == {"width", "height"}:
        return f"{value['width']}{TIMES}{value['height']}"
    if isinstance(value, str):
        return _shorten(value)
    return _shorten(json.dumps(value, separators=(",", ":")))


def _show(value: Any) -> str:
    """A value as it appears in messages: numbers bare, text quoted, long things cut."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return _shorten(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _num(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _humanize(field: str) -> str:
    words = field.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _split_list(text: str) -> list[str]:
    return [token.strip() for token in text.split(",") if token.strip()]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"


_PLANNERS: dict[str, Callable[[Endpoint, dict, dict, Mapping[str, Endpoint]], Plan]] = {
    "seeds": _plan_seeds,
    "prompts": _plan_prompts,
    "sweep": _plan_sweep,
    "models": _plan_models,
}
