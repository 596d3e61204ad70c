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

This module plans; the parts it builds on:
- plan_error.py:   PlanError and the cap on runs, raised from every part
- sweep_values.py: a sweep axis's typed values (ranges, lists, booleans, sizes) as its field
                   takes them
- schema_check.py: a model's input schema, looked up and checked, and its refusals in words
- value_text.py:   values as axis labels and messages show them
"""

from __future__ import annotations

import copy
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from playground.catalog.categories import category_label
from playground.experiments.plan_error import DEFAULT_MAX_RUNS, PlanError, _check_cap, max_runs
from playground.experiments.schema_check import _NO_DEFAULT, _Schema
from playground.experiments.sweep_values import _Shape, _split_list, _sweep_values
from playground.experiments.value_text import LABEL_CHARS, TIMES, _humanize, _label, _shorten, _show
from playground.jobs.seeds import seed_bounds

if TYPE_CHECKING:
    from playground.catalog.models import Endpoint

# The public names, as before the split (some now live in the modules above).
__all__ = [
    "DEFAULT_CONFIRM_ABOVE",
    "DEFAULT_MAX_RUNS",
    "LABEL_CHARS",
    "MAX_AXES",
    "PROMPT",
    "RENAMES",
    "SEED",
    "TIMES",
    "Axis",
    "Cell",
    "Plan",
    "PlanError",
    "max_runs",
    "needs_confirmation",
    "plan_experiment",
]

MAX_AXES = 3
DEFAULT_CONFIRM_ABOVE = 24
SEED = "seed"
PROMPT = "prompt"
# Fields that models of one kind name differently; mapped only when the target lacks the
# source's name (flux calls it output_format, fast-sdxl format: both jpeg/png).
RENAMES = {"output_format": ("format",), "format": ("output_format",)}
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


def _refuse_duplicates(values: Sequence[Any], *, field: str) -> None:
    seen: list[Any] = []
    for value in values:
        # A list, not a set: values may be dicts. 4 and 4.0 are the same run; true and 1 not.
        if any(_same(value, other) for other in seen):
            raise PlanError(f"{field}: {_show(value)} is listed twice", field=field)
        seen.append(value)


def _same(one: Any, other: Any) -> bool:
    return isinstance(one, bool) == isinstance(other, bool) and one == other


_PLANNERS: dict[str, Callable[[Endpoint, dict, dict, Mapping[str, Endpoint]], Plan]] = {
    "seeds": _plan_seeds,
    "prompts": _plan_prompts,
    "sweep": _plan_sweep,
    "models": _plan_models,
}
