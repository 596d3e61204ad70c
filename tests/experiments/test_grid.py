"""The grid's labels: what differs between an axis's values."""

from __future__ import annotations

from playground.experiments.grid import Label, axis_labels


def axis(values, labels=None):
    return {
        "key": "prompt",
        "label": "Prompt",
        "values": values,
        "value_labels": labels or [str(v) for v in values],
    }


def test_prompts_keep_only_the_words_that_differ():
    labels = axis_labels(axis(["a red fox in snow", "a blue fox in snow", "a fox in snow"]))

    assert [label.short for label in labels] == ["red", "blue", "(same)"]
    assert labels[0].full == "a red fox in snow"


def test_differences_are_found_on_the_full_prompts_when_labels_are_cut_short():
    values = ["a lighthouse at dusk, red sky", "a lighthouse at dusk, green sky"]

    labels = axis_labels(axis(values, ["a lighthouse…", "a lighthouse…"]))

    assert [(label.full, label.short) for label in labels] == [
        ("a lighthouse…", "red"),
        ("a lighthouse…", "green"),
    ]


def test_numbers_and_single_values_are_left_as_they_are():
    assert axis_labels(axis([2.5, 3.5])) == [Label("2.5", "2.5"), Label("3.5", "3.5")]
    assert axis_labels(axis(["only one"])) == [Label("only one", "only one")]
    assert not axis_labels(axis([1, 2]))[0].shortened
