"""Experiments bench: what a 200-run experiment costs the server, in-process on SQLite.

1. Start: planning and storing 200 cells and submitting them (no runs-in-flight cap).
2. Advance: with a cap of 50, each run's end (finish_generation) submits the next cell after
   its commit; the time of one finish + advance, p50/p99 over the 200.
3. The grid page with 200 finished cells (Django test client: view, ORM, templates, no
   socket), and the live fragment a watcher renders when one cell changes.
4. A 10x10 sweep end to end on the real server against 100 runs from the form, with the
   server's memory (bench/experiment_sweep.py).
Run: `python bench/experiments.py`. Figures are printed and merged into
bench/results/latest.json. Nothing is asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(tempfile.mkdtemp(prefix="playground-bench-exp-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'bench.sqlite3'}")
os.environ["DATA_DIR"] = str(DATA)

import django  # noqa: E402

django.setup()

RUNS = 200
REPEATS = 50
BASE = {"prompt": "a lighthouse", "image_size": {"width": 64, "height": 48}}
SPEC = {
    "kind": "sweep",
    "axes": [
        {"field": "guidance_scale", "values": [1 + n / 4 for n in range(20)]},
        {"field": "num_inference_steps", "values": list(range(4, 14))},
    ],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from playground.catalog.models import Endpoint
    from playground.experiments import actions
    from playground.experiments.grid import render_changes
    from playground.jobs.actions import finish_generation
    from playground.jobs.models import Status

    setup_test_environment()  # the test client's host is allowed
    # Pages render from the source tree, as in the tests: no collectstatic manifest here.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    call_command("import_schemas", "--bundled", verbosity=0)
    settings.RATE_LIMITS_ENABLED = False
    settings.EXPERIMENT_MAX_RUNS = RUNS
    person = get_user_model().objects.create_user("bench", password="pw-bench-12345")
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/dev")
    report: dict[str, object] = {}

    def record(key: str, value: object) -> None:
        report[key] = value
        print(f"{key:55} {value}", flush=True)

    def start():
        return actions.start_experiment(user=person, endpoint=flux, base_input=BASE, spec=SPEC)

    settings.RUNS_IN_FLIGHT_PER_USER = 0
    took, uncapped = timed(start)
    record("experiment_start_200_runs_ms", round(took, 1))
    for generation in uncapped.generations.all():
        finish_generation(generation=generation, status=Status.COMPLETED, output={"images": []})

    settings.RUNS_IN_FLIGHT_PER_USER = 50
    capped = start()
    samples = []
    while active := list(capped.generations.filter(status=Status.PENDING)[:1]):
        took, _ = timed(
            lambda g=active[0]: finish_generation(
                generation=g, status=Status.COMPLETED, output={"images": []}
            )
        )
        samples.append(took)
    record("experiment_finish_and_advance_p50_ms", round(statistics.median(samples), 2))
    record("experiment_finish_and_advance_p99_ms", round(percentile(samples, 0.99), 2))
    capped.refresh_from_db()
    record("experiment_capped_status", f"{capped.status}, {capped.generations.count()} runs")

    client = Client()
    client.force_login(person)
    url = capped.get_absolute_url()
    pages = [timed(lambda: client.get(url))[0] for _ in range(REPEATS)]
    record("experiment_grid_200_cells_p50_ms", round(statistics.median(pages), 2))
    record("experiment_grid_200_cells_p99_ms", round(percentile(pages, 0.99), 2))

    _, (_, shown, header) = timed(lambda: render_changes(capped.pk, {}, ""))
    one = next(iter(shown))
    fragments = []
    for _ in range(REPEATS):
        changed = {**shown, one: (0, "running")}  # the watcher last saw it running
        fragments.append(timed(lambda c=changed: render_changes(capped.pk, c, header))[0])
    record("experiment_live_cell_fragment_p50_ms", round(statistics.median(fragments), 2))

    from bench import experiment_sweep  # the live part: a 10x10 sweep end to end

    report.update(experiment_sweep.run())

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged.update(report)
    merged["experiments_when"] = datetime.now(UTC).isoformat()
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
