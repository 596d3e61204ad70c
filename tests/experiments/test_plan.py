"""Planning experiments from real bundled schemas: expansion, checks, mapping and limits."""

from __future__ import annotations

import pytest

from playground.catalog.models import Endpoint
from playground.experiments.plan import PlanError, needs_confirmation, plan_experiment

pytestmark = pytest.mark.django_db

FOX = {"prompt": "a red fox"}


def model(endpoint_id: str) -> Endpoint:
    return Endpoint.objects.get(endpoint_id=endpoint_id)


@pytest.fixture
def flux_dev() -> Endpoint:
    return model("fal-ai/flux/dev")


def sweep(endpoint: Endpoint, *axes: tuple[str, object], base: dict | None = None):
    spec = {"kind": "sweep", "axes": [{"field": f, "values": v} for f, v in axes]}
    return plan_experiment(endpoint=endpoint, base_input=base or FOX, spec=spec)


def refusal(endpoint: Endpoint, spec: dict, base: dict | None = None, **kwargs) -> PlanError:
    with pytest.raises(PlanError) as caught:
        plan_experiment(endpoint=endpoint, base_input=base or FOX, spec=spec, **kwargs)
    return caught.value


def sweep_refusal(endpoint: Endpoint, *axes: tuple[str, object], base=None) -> PlanError:
    spec = {"kind": "sweep", "axes": [{"field": f, "values": v} for f, v in axes]}
    return refusal(endpoint, spec, base)


# --- numbers -------------------------------------------------------------------------------


def test_a_range_includes_its_end_when_it_lands_on_a_step(flux_dev):
    plan = sweep(flux_dev, ("guidance_scale", "1..5 step 2"))
    (axis,) = plan.axes
    assert axis.key == "guidance_scale"
    assert axis.label == "Guidance scale (CFG)"
    assert axis.values == (1, 3, 5)
    assert axis.value_labels == ("1", "3", "5")
    assert [cell.input["guidance_scale"] for cell in plan.cells] == [1, 3, 5]


def test_a_range_stops_at_the_last_step_before_its_end(flux_dev):
    plan = sweep(flux_dev, ("guidance_scale", "1..2 step 0.3"))
    assert plan.axes[0].values == (1.0, 1.3, 1.6, 1.9)


def test_float_steps_do_not_drift(flux_dev):
    values = sweep(flux_dev, ("guidance_scale", "1..2 step 0.1")).axes[0].values
    assert len(values) == 11
    assert values[0] == 1.0 and values[3] == 1.3 and values[-1] == 2.0
    assert sweep(flux_dev, ("guidance_scale", "1..2 step 0.1")).axes[0].value_labels[-1] == "2.0"


def test_a_range_without_a_step_counts_by_one_and_may_count_down(flux_dev):
    assert sweep(flux_dev, ("num_inference_steps", "4..8")).axes[0].values == (4, 5, 6, 7, 8)
    assert sweep(flux_dev, ("num_inference_steps", "9..1 step 4")).axes[0].values == (9, 5, 1)


def test_a_comma_list_and_a_json_list_give_the_same_values(flux_dev):
    typed = sweep(flux_dev, ("guidance_scale", "1, 2.5, 4")).axes[0]
    listed = sweep(flux_dev, ("guidance_scale", [1, 2.5, 4])).axes[0]
    assert typed.values == listed.values == (1, 2.5, 4)
    assert typed.value_labels == ("1", "2.5", "4")


def test_integer_fields_get_integers(flux_dev):
    values = sweep(flux_dev, ("num_inference_steps", "4, 8.0")).axes[0].values
    assert values == (4, 8)
    assert all(type(value) is int for value in values)
    assert sweep(flux_dev, ("num_inference_steps", [12.0])).axes[0].values == (12,)
    assert type(sweep(flux_dev, ("num_inference_steps", [12.0])).axes[0].values[0]) is int


def test_a_fractional_step_on_an_integer_field_is_refused_naming_the_field(flux_dev):
    error = sweep_refusal(flux_dev, ("num_inference_steps", "1..5 step 0.5"))
    assert error.field == "num_inference_steps"
    assert "num_inference_steps takes whole numbers" in str(error)


def test_a_fractional_value_on_an_integer_field_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("num_inference_steps", "4, 6.5"))
    assert error.field == "num_inference_steps"
    assert str(error) == "num_inference_steps: 6.5 is not a whole number"


def test_a_value_above_the_maximum_names_the_field_and_the_value(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", [1, 25]))
    assert error.field == "guidance_scale"
    assert str(error) == "guidance_scale: 25 is above the maximum 20"


def test_a_value_below_the_minimum_names_the_field_and_the_value(flux_dev):
    error = sweep_refusal(flux_dev, ("num_inference_steps", "0..4"))
    assert error.field == "num_inference_steps"
    assert str(error) == "num_inference_steps: 0 is below the minimum 1"


def test_a_range_needs_a_positive_step(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", "1..5 step 0"))
    assert error.field == "guidance_scale"
    assert "step must be above 0" in str(error)


def test_text_in_a_number_field_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", "1, lots"))
    assert error.field == "guidance_scale"
    assert str(error) == 'guidance_scale: "lots" is not a number'


# --- enums, booleans, unions ---------------------------------------------------------------


def test_enum_values_among_the_choices_are_swept(flux_dev):
    axis = sweep(flux_dev, ("acceleration", "none, high")).axes[0]
    assert axis.values == ("none", "high")
    assert axis.value_labels == ("none", "high")


def test_an_enum_value_outside_the_choices_is_refused_with_the_choices(flux_dev):
    error = sweep_refusal(flux_dev, ("acceleration", ["none", "warp"]))
    assert error.field == "acceleration"
    assert str(error) == 'acceleration: "warp" is not one of none, regular, high'


def test_a_range_over_an_enum_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("acceleration", "1..3"))
    assert error.field == "acceleration"
    assert "ranges are for numbers" in str(error)


def test_booleans_sweep_true_and_false(flux_dev):
    typed = sweep(flux_dev, ("enable_safety_checker", "true, false")).axes[0]
    listed = sweep(flux_dev, ("enable_safety_checker", [True, False])).axes[0]
    assert typed.values == listed.values == (True, False)
    assert typed.value_labels == ("on", "off")


def test_a_number_is_not_a_boolean(flux_dev):
    error = sweep_refusal(flux_dev, ("enable_safety_checker", [1, 0]))
    assert error.field == "enable_safety_checker"
    assert "is not true or false" in str(error)


def test_a_union_takes_enum_names_and_sizes_with_readable_labels(flux_dev):
    axis = sweep(flux_dev, ("image_size", "landscape_4_3, 1024x768")).axes[0]
    assert axis.values == ("landscape_4_3", {"width": 1024, "height": 768})
    assert axis.value_labels == ("landscape_4_3", "1024\N{MULTIPLICATION SIGN}768")
    listed = sweep(flux_dev, ("image_size", ["square", {"width": 512, "height": 512}])).axes[0]
    assert listed.value_labels == ("square", "512\N{MULTIPLICATION SIGN}512")


def test_a_value_fitting_no_branch_of_a_union_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("image_size", "square, huge"))
    assert error.field == "image_size"
    assert '"huge"' in str(error)
    assert str(error).startswith("image_size: ")
    error = sweep_refusal(flux_dev, ("image_size", [5]))
    assert error.field == "image_size"
    assert str(error) == (
        "image_size: 5 is not a width\N{MULTIPLICATION SIGN}height size or one of square_hd, "
        "square, portrait_4_3, portrait_16_9, landscape_4_3, landscape_16_9"
    )


def test_a_size_out_of_bounds_names_the_inner_field(flux_dev):
    error = sweep_refusal(flux_dev, ("image_size", [{"width": 0, "height": 512}]))
    assert error.field == "image_size"
    assert str(error) == "image_size.width: 0 must be above 0"


def test_a_list_field_cannot_be_swept():
    error = sweep_refusal(model("fal-ai/fast-sdxl"), ("loras", [[], []]))
    assert error.field == "loras"
    assert "cannot be swept" in str(error)


# --- axes and cells ------------------------------------------------------------------------


def test_cells_are_row_major_with_x_varying_fastest(flux_dev):
    plan = sweep(flux_dev, ("guidance_scale", "2, 4"), ("num_inference_steps", "4, 8, 12"))
    assert plan.kind == "sweep"
    assert plan.size == 6
    assert [cell.coords for cell in plan.cells] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    pairs = [(c.input["guidance_scale"], c.input["num_inference_steps"]) for c in plan.cells]
    assert pairs == [(2, 4), (4, 4), (2, 8), (4, 8), (2, 12), (4, 12)]
    assert {cell.endpoint_id for cell in plan.cells} == {"fal-ai/flux/dev"}


def test_three_axes_keep_the_order_given(flux_dev):
    plan = sweep(
        flux_dev,
        ("num_inference_steps", "4, 8"),
        ("acceleration", "none, high"),
        ("enable_safety_checker", "true, false"),
    )
    assert [axis.key for axis in plan.axes] == [
        "num_inference_steps",
        "acceleration",
        "enable_safety_checker",
    ]
    assert plan.cells[1].coords == (1, 0, 0)
    assert plan.cells[-1].coords == (1, 1, 1)
    assert plan.cells[4].input["enable_safety_checker"] is False


def test_every_cell_keeps_the_rest_of_the_base_input(flux_dev):
    base = {"prompt": "a red fox", "image_size": {"width": 640, "height": 480}, "seed": 7}
    plan = sweep(flux_dev, ("guidance_scale", "2, 4"), base=base)
    assert plan.cells[0].input == {**base, "guidance_scale": 2}
    assert plan.cells[1].input == {**base, "guidance_scale": 4}
    plan.cells[0].input["image_size"]["width"] = 1
    assert plan.cells[1].input["image_size"]["width"] == 640  # cells do not share objects
    assert base["image_size"]["width"] == 640
    assert plan.notes == ()


def test_a_sweep_gives_every_cell_one_seed_when_the_input_leaves_it_random(flux_dev):
    plan = sweep(flux_dev, ("guidance_scale", "2, 4, 6"), base={"prompt": "a fox", "seed": None})
    seeds = {cell.input["seed"] for cell in plan.cells}
    assert len(seeds) == 1 and isinstance(seeds.pop(), int)
    assert plan.notes == (
        f"Every run uses seed {plan.cells[0].input['seed']}, so results compare.",
    )


def test_a_field_the_model_lacks_is_refused_naming_it(flux_dev):
    error = sweep_refusal(flux_dev, ("cfg_scale", "1, 2"))
    assert error.field == "cfg_scale"
    assert str(error) == "cfg_scale: fal-ai/flux/dev has no such field"


def test_a_field_swept_twice_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", "1, 2"), ("guidance_scale", "3, 4"))
    assert error.field == "guidance_scale"
    assert "swept twice" in str(error)


def test_a_fourth_axis_is_refused_naming_its_field(flux_dev):
    error = sweep_refusal(
        flux_dev,
        ("guidance_scale", "1, 2"),
        ("num_inference_steps", "4, 8"),
        ("acceleration", "none, high"),
        ("enable_safety_checker", "true, false"),
    )
    assert error.field == "enable_safety_checker"
    assert "at most 3 axes" in str(error)


def test_an_axis_without_values_is_refused(flux_dev):
    for empty in ("", " , ", []):
        error = sweep_refusal(flux_dev, ("guidance_scale", empty))
        assert error.field == "guidance_scale"
        assert "at least one value" in str(error)


def test_a_value_listed_twice_is_refused(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", "3, 3.0"))
    assert error.field == "guidance_scale"
    assert str(error) == "guidance_scale: 3.0 is listed twice"


def test_the_prompt_is_varied_by_a_prompts_experiment_not_a_sweep(flux_dev):
    error = sweep_refusal(flux_dev, ("prompt", ["a fox", "a cat"]))
    assert error.field == "prompt"
    assert "Prompts experiment" in str(error)


def test_a_sweep_without_axes_is_refused(flux_dev):
    error = refusal(flux_dev, {"kind": "sweep", "axes": []})
    assert error.field == "axes"


def test_an_unknown_kind_is_refused(flux_dev):
    error = refusal(flux_dev, {"kind": "lottery"})
    assert error.field == "kind"
    assert "seeds, prompts, sweep or models" in str(error)
    assert refusal(flux_dev, {"kind": ["sweep"]}).field == "kind"


def test_an_invalid_base_input_is_refused_naming_its_field(flux_dev):
    error = sweep_refusal(flux_dev, ("guidance_scale", "2, 4"), base={"num_images": 1})
    assert error.field == "prompt"
    assert str(error) == "prompt is required"


# --- seeds ---------------------------------------------------------------------------------


def test_a_seed_count_gives_that_many_distinct_random_seeds(flux_dev):
    plan = plan_experiment(endpoint=flux_dev, base_input=FOX, spec={"kind": "seeds", "count": 8})
    (axis,) = plan.axes
    assert plan.kind == "seeds" and axis.key == "seed" and axis.label == "Seed"
    assert len(set(axis.values)) == 8
    assert all(isinstance(seed, int) and 0 <= seed < 2**31 for seed in axis.values)
    assert axis.value_labels == tuple(str(seed) for seed in axis.values)
    assert [cell.input for cell in plan.cells] == [{**FOX, "seed": s} for s in axis.values]


def test_random_seeds_stay_within_the_seed_fields_bounds():
    audio = model("fal-ai/mmaudio-v2/text-to-audio")  # seed 0..65535
    plan = plan_experiment(endpoint=audio, base_input=FOX, spec={"kind": "seeds", "count": 50})
    assert all(0 <= seed <= 65535 for seed in plan.axes[0].values)


def test_listed_seeds_are_used_in_order(flux_dev):
    for listed in ([3, 1, 2], "3, 1, 2"):
        spec = {"kind": "seeds", "seeds": listed}
        plan = plan_experiment(endpoint=flux_dev, base_input=FOX, spec=spec)
        assert plan.axes[0].values == (3, 1, 2)
        assert [cell.coords for cell in plan.cells] == [(0,), (1,), (2,)]


def test_listed_seeds_must_be_distinct_whole_numbers(flux_dev):
    assert refusal(flux_dev, {"kind": "seeds", "seeds": [1, 1]}).field == "seeds"
    assert refusal(flux_dev, {"kind": "seeds", "seeds": [1.5]}).field == "seeds"
    assert refusal(flux_dev, {"kind": "seeds", "seeds": [True]}).field == "seeds"
    assert refusal(flux_dev, {"kind": "seeds", "seeds": []}).field == "seeds"


def test_a_seed_outside_the_fields_bounds_is_refused():
    audio = model("fal-ai/mmaudio-v2/text-to-audio")
    error = refusal(audio, {"kind": "seeds", "seeds": [1, 70000]})
    assert error.field == "seed"
    assert str(error) == "seed: 70000 is above the maximum 65535"


def test_a_seed_count_must_be_between_one_and_the_cap(flux_dev, settings):
    settings.EXPERIMENT_MAX_RUNS = 10
    assert refusal(flux_dev, {"kind": "seeds", "count": 0}).field == "count"
    assert refusal(flux_dev, {"kind": "seeds", "count": "many"}).field == "count"
    error = refusal(flux_dev, {"kind": "seeds", "count": 11})
    assert error.field == "count"
    assert "the limit is 10" in str(error)
    assert plan_experiment(endpoint=flux_dev, base_input=FOX, spec={"kind": "seeds", "count": 10})


def test_a_model_without_a_seed_cannot_run_a_seeds_experiment():
    error = refusal(model("fal-ai/diffrhythm"), {"kind": "seeds", "count": 4})
    assert error.field == "seed"
    assert str(error) == "fal-ai/diffrhythm takes no seed"


# --- prompts -------------------------------------------------------------------------------


def test_a_prompt_list_drops_blank_lines_and_strips_the_rest(flux_dev):
    for listed in (["  a fox ", "", "a cat", "   "], "  a fox \n\n a cat\n"):
        spec = {"kind": "prompts", "prompts": listed}
        plan = plan_experiment(endpoint=flux_dev, base_input={"seed": 1}, spec=spec)
        (axis,) = plan.axes
        assert (plan.kind, axis.key, axis.label) == ("prompts", "prompt", "Prompt")
        assert axis.values == ("a fox", "a cat")
        assert [cell.input for cell in plan.cells] == [
            {"seed": 1, "prompt": "a fox"},
            {"seed": 1, "prompt": "a cat"},
        ]


def test_a_prompt_matrix_expands_every_group(flux_dev):
    spec = {"kind": "prompts", "matrix": "a {red|blue} {fox|cat}, {|very }detailed"}
    axis = plan_experiment(endpoint=flux_dev, base_input={}, spec=spec).axes[0]
    assert axis.values == (
        "a red fox, detailed",
        "a red fox, very detailed",
        "a red cat, detailed",
        "a red cat, very detailed",
        "a blue fox, detailed",
        "a blue fox, very detailed",
        "a blue cat, detailed",
        "a blue cat, very detailed",
    )


def test_prompt_labels_are_shortened_with_an_ellipsis(flux_dev):
    long = "an oil painting of a lighthouse on a cliff at dusk, stormy sea"
    spec = {"kind": "prompts", "prompts": [long, "a fox"]}
    labels = plan_experiment(endpoint=flux_dev, base_input={}, spec=spec).axes[0].value_labels
    assert labels == ("an oil painting of a lighthouse on a cl…", "a fox")
    assert len(labels[0]) <= 40


def test_long_prompts_differing_late_are_labelled_by_how_they_differ(flux_dev):
    spec = {
        "kind": "prompts",
        "matrix": "a very detailed oil painting of a lighthouse, {dawn|dusk}",
    }
    labels = plan_experiment(endpoint=flux_dev, base_input={}, spec=spec).axes[0].value_labels
    assert labels == ("…dawn", "…dusk")


def test_a_matrix_needs_alternatives_and_balanced_braces(flux_dev):
    for matrix in ("a red fox", "a {red fox", "a {red|{blue}} fox", "a red} fox", "", "{|fox}"):
        error = refusal(flux_dev, {"kind": "prompts", "matrix": matrix})
        assert error.field == "matrix", matrix


def test_a_prompt_list_needs_a_prompt(flux_dev):
    assert refusal(flux_dev, {"kind": "prompts", "prompts": ["", " "]}).field == "prompts"
    assert refusal(flux_dev, {"kind": "prompts", "prompts": [1, 2]}).field == "prompts"


def test_a_model_without_a_prompt_cannot_run_a_prompts_experiment():
    error = refusal(model("fal-ai/diffrhythm"), {"kind": "prompts", "prompts": ["a"]})
    assert error.field == "prompt"
    assert str(error) == "fal-ai/diffrhythm takes no prompt"


def test_a_matrix_over_the_cap_is_refused_before_expanding(flux_dev, settings):
    settings.EXPERIMENT_MAX_RUNS = 8
    matrix = "{a|b} {c|d} {e|f} {g|h}"
    error = refusal(flux_dev, {"kind": "prompts", "matrix": matrix})
    assert error.field == "matrix"
    assert "16 runs" in str(error)


# --- models --------------------------------------------------------------------------------


@pytest.fixture
def image_models() -> dict[str, Endpoint]:
    ids = ("fal-ai/flux/schnell", "fal-ai/fast-sdxl", "fal-ai/veo3")
    return {
        endpoint.endpoint_id: endpoint for endpoint in Endpoint.objects.filter(endpoint_id__in=ids)
    }


FORM = {
    "prompt": "a red fox",
    "image_size": "landscape_4_3",
    "num_inference_steps": 28,
    "seed": 42,
    "guidance_scale": 5,
    "num_images": 1,
    "enable_safety_checker": True,
    "output_format": "png",
    "acceleration": "high",
}


def compare(endpoint: Endpoint, models: list[str], known: dict, base: dict | None = None):
    spec = {"kind": "models", "models": models}
    return plan_experiment(
        endpoint=endpoint, base_input=base or FORM, spec=spec, endpoints_by_id=known
    )


def test_models_run_the_same_input_mapped_by_field_name(flux_dev, image_models):
    plan = compare(flux_dev, ["fal-ai/flux/schnell", "fal-ai/fast-sdxl"], image_models)
    (axis,) = plan.axes
    assert (plan.kind, axis.key, axis.label) == ("models", "model", "Model")
    assert axis.values == ("fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/fast-sdxl")
    assert axis.value_labels == ("flux/dev", "flux/schnell", "fast-sdxl")
    dev, schnell, sdxl = plan.cells
    assert [cell.endpoint_id for cell in plan.cells] == list(axis.values)
    assert [cell.coords for cell in plan.cells] == [(0,), (1,), (2,)]
    assert dev.input == FORM
    # flux/dev's default 28 steps is left to schnell's own default (its maximum is 12).
    assert schnell.input == {
        key: value for key, value in FORM.items() if key != "num_inference_steps"
    }
    # So are its default size and steps; what the person changed is carried over.
    assert sdxl.input == {
        "prompt": "a red fox",
        "seed": 42,
        "guidance_scale": 5,
        "num_images": 1,
        "enable_safety_checker": True,
        "format": "png",
    }
    assert plan.notes == (
        "flux/schnell uses its own default 4 for num_inference_steps",
        'fast-sdxl uses its own default "square_hd" for image_size',
        "fast-sdxl uses its own default 25 for num_inference_steps",
        "fast-sdxl calls output_format “format”",
        "fast-sdxl has no field acceleration; it is left out",
    )


def test_a_model_refusing_a_mapped_value_is_named_with_the_field(flux_dev, image_models):
    spec = {"kind": "models", "models": ["fal-ai/flux/schnell"]}
    base = {**FORM, "num_inference_steps": 40}
    error = refusal(flux_dev, spec, base, endpoints_by_id=image_models)
    assert error.field == "num_inference_steps"
    assert str(error) == "flux/schnell: num_inference_steps: 40 is above the maximum 12"


def test_the_planned_model_keeps_its_place_when_listed(flux_dev, image_models):
    plan = compare(flux_dev, ["fal-ai/flux/schnell", "fal-ai/flux/dev"], image_models)
    assert plan.axes[0].values == ("fal-ai/flux/schnell", "fal-ai/flux/dev")


def test_models_of_another_kind_are_refused(flux_dev, image_models):
    error = refusal(
        flux_dev, {"kind": "models", "models": ["fal-ai/veo3"]}, FORM, endpoints_by_id=image_models
    )
    assert error.field == "models"
    assert str(error) == (
        "fal-ai/veo3 (Text to video) is not the same kind of model as fal-ai/flux/dev "
        "(Text to image); only models of the same kind can be compared"
    )


def test_unknown_duplicate_or_missing_models_are_refused(flux_dev, image_models):
    for models in (
        ["fal-ai/nope"],
        ["fal-ai/fast-sdxl", "fal-ai/fast-sdxl"],
        ["fal-ai/flux/dev"],
        [],
    ):
        spec = {"kind": "models", "models": models}
        error = refusal(flux_dev, spec, FORM, endpoints_by_id=image_models)
        assert error.field == "models", models


def test_compared_models_share_one_seed_that_each_of_them_takes():
    audio = {e.endpoint_id: e for e in Endpoint.objects.filter(category="text-to-audio")}
    lyria = audio.pop("fal-ai/lyria2")  # any seed; mmaudio-v2 takes 0..65535 only
    assert "fal-ai/mmaudio-v2/text-to-audio" in audio
    for _ in range(5):
        spec = {"kind": "models", "models": ["fal-ai/mmaudio-v2/text-to-audio"]}
        plan = plan_experiment(
            endpoint=lyria, base_input={"prompt": "rain"}, spec=spec, endpoints_by_id=audio
        )
        seeds = {cell.input["seed"] for cell in plan.cells}
        assert len(seeds) == 1 and 0 <= seeds.pop() <= 65535
        assert plan.notes[0].startswith("Every run uses seed ")


# --- limits --------------------------------------------------------------------------------

TEN_BY_TEN_BY_TEN = (
    ("guidance_scale", "1..10"),
    ("num_inference_steps", "1..10"),
    ("seed", "1..10"),
)


def test_a_ten_by_ten_by_ten_sweep_is_capped_by_the_setting(flux_dev):
    error = sweep_refusal(flux_dev, *TEN_BY_TEN_BY_TEN)
    assert error.field == "axes"
    assert (
        str(error)
        == "This experiment would make 1000 runs; the limit is 200 (EXPERIMENT_MAX_RUNS)."
    )


def test_a_ten_by_ten_by_ten_sweep_under_a_higher_cap_asks_for_confirmation(flux_dev, settings):
    settings.EXPERIMENT_MAX_RUNS = 1000
    plan = sweep(flux_dev, *TEN_BY_TEN_BY_TEN)
    assert plan.size == 1000
    assert needs_confirmation(plan)


def test_confirmation_is_asked_above_the_threshold(flux_dev, settings):
    at_threshold = sweep(flux_dev, ("guidance_scale", "1..4"), ("num_inference_steps", "1..6"))
    above = sweep(flux_dev, ("guidance_scale", "1..5"), ("num_inference_steps", "1..5"))
    assert (at_threshold.size, above.size) == (24, 25)
    assert not needs_confirmation(at_threshold)
    assert needs_confirmation(above)
    settings.EXPERIMENT_CONFIRM_ABOVE = 25
    assert not needs_confirmation(above)


def test_a_huge_range_is_refused_without_building_it(flux_dev):
    error = sweep_refusal(flux_dev, ("seed", "0..1000000000"))
    assert error.field == "seed"
    assert "1000000001 runs" in str(error)
    endless = sweep_refusal(flux_dev, ("guidance_scale", f"0..1{'0' * 40} step 0.000001"))
    assert endless.field == "guidance_scale"
