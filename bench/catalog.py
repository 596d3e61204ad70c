"""Catalog benchmarks: search over 1,300+ endpoints, and model page renders.

`python bench/catalog.py` starts its own server; `bench/run.py` passes the one it runs.
The catalog is padded to 1,300+ endpoints with variants of the bundled ones (the same
schemas, so rows have realistic sizes) bulk-inserted into the bench database, then:
- catalog search as you type (the htmx results fragment) over HTTP to the live server,
  for several queries, and the full page;
- the same view in-process (Django test client: no socket, no daphne);
- the model page of every bundled endpoint, when `catalog:model` renders a real page.
Figures are printed and merged into bench/results/latest.json.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 1300
REPEATS = 30
PASSWORD = "bench-password-not-secret-42"
# What people type, including the keystrokes on the way to a word (as-you-type).
QUERIES = [
    {},
    {"q": "f"},
    {"q": "fl"},
    {"q": "flux"},
    {"q": "flux dev"},
    {"q": "video"},
    {"q": "kling"},
    {"q": "upscale"},
    {"q": "speech"},
    {"q": "fal-ai/flux/dev"},
    {"q": "xyzzy"},
    {"group": "video"},
    {"group": "editing", "q": "image"},
]
PHRASES = [
    "Fast, high quality generation with fine prompt adherence.",
    "A distilled variant tuned for speed at a small cost in detail.",
    "Photorealistic results with accurate hands and typography.",
    "Cinematic motion with consistent characters across shots.",
    "Expressive voices in many languages with natural prosody.",
    "Upscales and restores detail while keeping the original look.",
    "Community fine-tune with a painterly, illustrated style.",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "n": len(samples),
    }


def setup_django(data_dir: Path, database_url: str) -> None:
    """Point this process at the server's database and static manifest, then set up."""
    import django
    from django.apps import apps

    if apps.ready:
        from django.db import connection

        if str(connection.settings_dict["NAME"]) not in database_url:
            raise RuntimeError("Django is already set up with another database")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    django.setup()


def pad_catalog(target: int = TARGET) -> int:
    """Add variants of the bundled endpoints until the catalog holds `target` or more."""
    from playground.catalog.importer import search_text_for
    from playground.catalog.models import Endpoint, Source

    bundled = list(Endpoint.objects.filter(source=Source.BUNDLED).order_by("endpoint_id"))
    have = Endpoint.objects.count()
    rows, k = [], 0
    while have + len(rows) < target:
        k += 1
        for n, original in enumerate(bundled):
            endpoint_id = f"{original.endpoint_id}-v{k}"
            title = f"{original.title} V{k}"
            description = f"{title}: {PHRASES[(n + k) % len(PHRASES)]}"
            rows.append(
                Endpoint(
                    endpoint_id=endpoint_id,
                    title=title,
                    category=original.category,
                    group=original.group,
                    description=description,
                    search_text=search_text_for(
                        endpoint_id, title, description, original.category, original.group
                    ),
                    input_schema=original.input_schema,
                    output_schema=original.output_schema,
                    schema_sha=original.schema_sha,
                    modes=original.modes,
                    metadata=original.metadata,
                    source=Source.IMPORTED,
                )
            )
    Endpoint.objects.bulk_create(rows, batch_size=200, ignore_conflicts=True)
    return Endpoint.objects.count()


def time_requests(
    http: httpx.Client, path: str, queries: list[dict], headers: dict
) -> dict[str, list[float]]:
    """Milliseconds per request, by query; REPEATS rounds over all queries."""
    for params in queries:  # warm-up: templates, connections, SQLite page cache
        http.get(path, params=params, headers=headers)
    samples: dict[str, list[float]] = {label(p): [] for p in queries}
    for _ in range(REPEATS):
        for params in queries:
            started = time.perf_counter()
            response = http.get(path, params=params, headers=headers)
            samples[label(params)].append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return samples


def label(params: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items()) or "(all)"


def merged(samples: dict[str, list[float]]) -> list[float]:
    return [value for values in samples.values() for value in values]


def in_process(queries: list[dict], headers: dict) -> list[float]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", **headers)
    for params in queries:
        client.get("/models/", params)
    samples = []
    for _ in range(REPEATS):
        for params in queries:
            started = time.perf_counter()
            response = client.get("/models/", params)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    return samples


def log_in(http: httpx.Client) -> None:
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="catalog-bench")
    user.set_password(PASSWORD)
    user.save()
    page = http.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    http.post(
        "/accounts/login/",
        data={
            "username": "catalog-bench",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": f"{http.base_url}accounts/login/"},
    )


def model_pages(http: httpx.Client) -> tuple[dict[str, Any] | None, str]:
    """Render time per bundled model page, or None and why when it cannot be measured."""
    from django.urls import reverse

    from playground.catalog.models import Endpoint, Source

    log_in(http)
    ids = list(
        Endpoint.objects.filter(source=Source.BUNDLED)
        .order_by("endpoint_id")
        .values_list("endpoint_id", flat=True)
    )
    probe = http.get(reverse("catalog:model", args=[ids[0]]))
    if probe.status_code != 200 or "being written" in probe.text or len(probe.text) < 2000:
        return None, f"model page not measured: it answers {probe.status_code} / a placeholder"
    samples, slowest = [], (0.0, "")
    for endpoint_id in ids:
        url = reverse("catalog:model", args=[endpoint_id])
        http.get(url)
        for _ in range(5):
            started = time.perf_counter()
            response = http.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                status = response.status_code
                return None, f"model page not measured: {endpoint_id} answered {status}"
            samples.append(elapsed)
            slowest = max(slowest, (elapsed, endpoint_id))
    return {**summary(samples), "slowest": slowest[1]}, ""


def run(server: Any, database_url: str) -> dict[str, Any]:
    """Measure against a running live server whose database is `database_url`."""
    setup_django(server.log_path.parent, database_url)
    from django.db import connections

    total = pad_catalog()
    report: dict[str, Any] = {}
    htmx = {"HX-Request": "true", "HX-Target": "catalog-results"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        by_query = time_requests(http, "/models/", QUERIES, htmx)
        report[f"catalog_search[htmx over HTTP, {total} endpoints]"] = {
            **summary(merged(by_query)),
            "p50_ms_by_query": {k: round(statistics.median(v), 2) for k, v in by_query.items()},
        }
        full = time_requests(http, "/models/", [{}, {"q": "flux"}], {})
        report[f"catalog_page[full page over HTTP, {total} endpoints]"] = summary(merged(full))
        report[f"catalog_search[in-process view, {total} endpoints]"] = summary(
            in_process(QUERIES, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalog-results"})
        )
        pages, note = model_pages(http)
    # A skipped measurement is recorded as such, so no stale figure survives the merge.
    report["model_page[bundled schemas, over HTTP]"] = pages or {"skipped": note}
    for key, value in report.items():
        print(f"{key:58} {value}")
    connections.close_all()
    return report


def main() -> None:
    from playground.lib import liveserver

    data_dir = Path(tempfile.mkdtemp(prefix="playground-bench-catalog-"))
    database_url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    server = liveserver.start(data_dir, database_url=database_url, migrate=True)
    try:
        report = run(server, database_url)
    finally:
        server.stop()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged.update(report)
    merged["catalog_when"] = datetime.now(UTC).isoformat()
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
