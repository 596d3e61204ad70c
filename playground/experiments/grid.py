"""The grid of an experiment: its axes as labelled rows, columns and blocks, each cell
with the run made for it. Read in three queries (the experiment, its runs, their files)
whatever its size; the page and the live fragments draw cells with one template."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse

from playground.experiments.models import Experiment, cell_key
from playground.gallery.queries import annotate_card
from playground.jobs.models import ACTIVE, Generation, MediaAsset, Status


@dataclass(frozen=True)
class Label:
    """A value's label, and the words of it that differ from the axis's other values ("red"
    of "a red fox, snow" beside "a blue fox, snow"): "Show differences only" shows those."""

    full: str
    short: str

    def __str__(self) -> str:
        return self.full

    @property
    def shortened(self) -> bool:
        return self.short != self.full


@dataclass
class GridCell:
    key: str  # "2,0"
    coords: tuple[int, ...]
    labels: list[tuple[str, Label, bool]]  # (axis label, value label, same in every cell)
    generation: Generation | None = None
    shared: bool = False  # on a share link: links and files through the runs' own links

    @property
    def dom_id(self) -> str:
        return "cell-" + self.key.replace(",", "-")

    @property
    def media(self) -> dict[str, str]:
        """Where the cell links to and its picture or sound: {"link", "image", "audio"}."""
        generation = self.generation
        if generation is None:
            return {}
        asset = getattr(generation, "first_asset", None)
        if self.shared:
            return _shared_media(generation, asset)
        found = {"link": generation.get_absolute_url()}
        if asset is not None:
            picture = asset.thumbnail or (asset.file if asset.kind == "image" else None)
            found["image"] = picture.url if picture else ""
            found["audio"] = asset.file.url if asset.kind == "audio" else ""
        return found


def _shared_media(generation: Generation, asset: MediaAsset | None) -> dict[str, str]:
    token = generation.share_token
    if not token:  # made private on its own since: shown as a bare cell
        return {"link": ""}
    found = {"link": reverse("gallery:share", args=[token])}
    if asset is not None:
        picture = asset.thumbnail or (asset.file if asset.kind == "image" else None)
        if picture:
            found["image"] = reverse("gallery:share_file", args=[token, _name(picture.name)])
        if asset.kind == "audio":
            found["audio"] = reverse("gallery:share_file", args=[token, _name(asset.file.name)])
    return found


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@dataclass
class Row:
    label: Label | None
    cells: list[GridCell] = field(default_factory=list)


@dataclass
class Block:
    title: Label | None  # the z axis value (None without a third axis)
    rows: list[Row] = field(default_factory=list)


@dataclass
class Grid:
    experiment: Experiment
    columns: list[Label]  # x value labels
    x_label: str
    y_label: str
    z_label: str
    blocks: list[Block]
    cells: dict[str, GridCell]
    counts: dict[str, int]
    total_cost: Decimal | None


def runs_of(experiment: Experiment, keys: set[str] | None = None) -> dict[str, Generation]:
    """The latest run of each cell (of `keys` only, when given), ready for a card."""
    rows = experiment.generations.filter(deleted_at__isnull=True).with_model()
    if keys is not None:
        rows = rows.filter(experiment_cell__in=keys)
    rows = rows.prefetch_related(
        Prefetch("assets", queryset=MediaAsset.objects.order_by("position"))
    ).order_by("created", "id")
    found: dict[str, Generation] = {}
    for generation in rows:
        annotate_card(generation)
        found[generation.experiment_cell] = generation  # a later run of a cell wins
    return found


def build_grid(experiment: Experiment, *, shared: bool = False) -> Grid:
    axes = experiment.axes or []
    names = [axis_labels(axis) for axis in axes]
    runs = runs_of(experiment)
    cells: dict[str, GridCell] = {}
    for planned in experiment.cells:
        coords = tuple(planned["coords"])
        key = cell_key(coords)
        labels = labels_of(axes, coords, names)
        cells[key] = GridCell(key, coords, labels, runs.get(key), shared)
    xs, ys, zs = [*names, None, None, None][:3]
    blocks = []
    for zi, z_label in enumerate(zs or [None]):
        block = Block(z_label)
        for yi, y_label in enumerate(ys or [None]):
            row = Row(y_label)
            for xi in range(len(xs or [])):
                coords = (xi, yi, zi)[: len(axes)]
                found = cells.get(cell_key(coords))
                if found is not None:
                    row.cells.append(found)
            block.rows.append(row)
        blocks.append(block)
    x, y, z = [*axes, None, None, None][:3]
    return Grid(
        experiment=experiment,
        columns=xs or [],
        x_label=x["label"] if x else "",
        y_label=y["label"] if y else "",
        z_label=z["label"] if z else "",
        blocks=blocks,
        cells=cells,
        counts=counts_of(experiment, runs.values()),
        total_cost=_total_cost(runs.values()),
    )


def counts_of(experiment: Experiment, runs: Any) -> dict[str, int]:
    statuses = [g.status for g in runs]
    return {
        "total": experiment.size,
        "done": statuses.count(Status.COMPLETED),
        "failed": statuses.count(Status.FAILED) + statuses.count(Status.CANCELLED),
        "active": sum(1 for s in statuses if s in ACTIVE),
    }


def _total_cost(runs: Any) -> Decimal | None:
    costs = [g.cost for g in runs if g.cost is not None]
    return sum(costs, Decimal(0)) if costs else None


def labels_of(
    axes: list[dict], coords: tuple[int, ...], names: list[list[Label]] | None = None
) -> list[tuple[str, Label, bool]]:
    names = names or [axis_labels(axis) for axis in axes]
    return [(axes[i]["label"], _nth(names[i], c), len(names[i]) < 2) for i, c in enumerate(coords)]


def _nth(labels: list[Label], index: int) -> Label:
    return labels[index] if index < len(labels) else Label("?", "?")


def axis_labels(axis: dict) -> list[Label]:
    """Each value's label, with what differs from the others: the words all of them
    start or end with are left out (worked out on the full values when they are text,
    since labels of long prompts are cut short)."""
    fulls = [_value_label(axis, i) for i in range(len(axis.get("values") or []))]
    values = axis.get("values") or []
    texts = values if all(isinstance(v, str) for v in values) else fulls
    words = [str(text).split() for text in texts]
    if len(words) < 2:
        return [Label(full, full) for full in fulls]
    head = _common(words)
    tail = _common([list(reversed(w[head:])) for w in words])
    shorts = [" ".join(w[head : len(w) - tail]) or "(same)" for w in words]
    return [
        Label(full, short if head or tail else full)
        for full, short in zip(fulls, shorts, strict=True)
    ]


def _common(lists: list[list[str]]) -> int:
    """How many leading items every list shares."""
    count = 0
    for items in zip(*lists, strict=False):
        if len(set(items)) != 1:
            break
        count += 1
    return count


def _value_label(axis: dict | None, index: int) -> str:
    if axis is None:
        return ""
    labels = axis.get("value_labels") or []
    if index < len(labels):
        return str(labels[index])
    values = axis.get("values") or []
    return str(values[index]) if index < len(values) else "?"


def differing_keys(experiment: Experiment) -> list[str]:
    """The axis keys whose values differ between cells (all of them, unless an axis has a
    single value): what "show differences only" keeps in each cell's labels."""
    return [axis["key"] for axis in experiment.axes or [] if len(axis.get("values") or []) > 1]


# -- live fragments ---------------------------------------------------------------------------
def render_changes(
    experiment_pk: int,
    shown: dict[str, tuple[int, str]],
    header_shown: str,
    *,
    can_edit: bool = False,
) -> tuple[str, dict[str, tuple[int, str]], str]:
    """Out-of-band fragments for the cells whose run changed since `shown` ({cell key:
    (generation id, status)}) and for the header when its state changed; with the new
    state. An empty `shown` redraws every cell that has a run (a (re)connecting socket)."""
    experiment = Experiment.objects.select_related("owner", "team").get(pk=experiment_pk)
    states = dict(
        (key, (pk, status))
        for key, pk, status in experiment.generations.filter(deleted_at__isnull=True)
        .order_by("created", "id")
        .values_list("experiment_cell", "pk", "status")
    )
    changed = {key for key, state in states.items() if shown.get(key) != state}
    parts = []
    if changed:
        runs = runs_of(experiment, changed)
        axes = experiment.axes or []
        for planned in experiment.cells:
            key = cell_key(planned["coords"])
            if key in runs:
                coords = tuple(planned["coords"])
                cell = GridCell(key, coords, labels_of(axes, coords), runs[key])
                parts.append(render_cell(experiment, cell, oob=True))
    header = header_state(experiment, states)
    if header != header_shown:
        counts = counts_of(experiment, [_Status(s) for _, s in states.values()])
        context = {"experiment": experiment, "counts": counts, "oob": True, "can_edit": can_edit}
        parts.append(render_to_string("experiments/grid.html#status", context))
    return "".join(parts), states, header


class _Status:
    def __init__(self, status: str) -> None:
        self.status = status


def header_state(experiment: Experiment, states: dict[str, tuple[int, str]]) -> str:
    statuses = sorted(s for _, s in states.values())
    return f"{experiment.status}|{experiment.status_note}|{experiment.next_cell}|{statuses}"


def render_cell(experiment: Experiment, cell: GridCell, *, oob: bool = False) -> str:
    return render_to_string(
        "experiments/_cell.html", {"experiment": experiment, "cell": cell, "oob": oob}
    )
