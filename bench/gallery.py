"""Gallery benchmark: the first page and a search with 100,000 generations on Postgres.

`python bench/gallery.py [--rows N]` creates (or reuses) the database
`playground_bench_gallery` on the Postgres of `BENCH_PG_URL` (default
postgres://postgres@127.0.0.1:5432), fills it with bulk_create, then renders the gallery
in-process (Django test client: the view, ORM and templates, no socket) and prints p50/p99,
the query plan of the search (it must use the gen_search_fts GIN index) and merges the
figures into bench/results/latest.json. Budget (DESIGN.md): first page p50 <= 30 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = "playground_bench_gallery"
REPEATS = 200
WORDS = (
    "lighthouse fox harbour dusk neon forest portrait cinematic watercolor city night rain "
    "mountain desert robot castle ocean sunrise studio vintage film grain macro snow garden"
).split()
BUDGET_P50_MS = 30.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "n": len(samples),
    }


def show(name: str, figures: dict) -> None:
    print(f"{name:45} p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATA_DIR", str(ROOT / "var" / "bench-gallery"))
    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def fill(rows: int) -> tuple[object, object]:
    """A user with `rows` generations (one image each), some posted to a team."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from playground.accounts.models import Membership, Role, Team
    from playground.catalog.models import Endpoint
    from playground.jobs.models import Generation, MediaAsset, build_search_text

    call_command("migrate", "--noinput", verbosity=0)
    if not Endpoint.objects.exists():
        call_command("import_schemas", "--bundled", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-gallery")
    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.OWNER})
    have = Generation.objects.filter(owner=user).count()
    if have >= rows:
        return user, team
    endpoints = list(Endpoint.objects.filter(group="image")[:8])
    rng = random.Random(42)
    start = datetime.now(UTC) - timedelta(days=365)
    batch: list[Generation] = []
    for i in range(have, rows):
        endpoint = endpoints[i % len(endpoints)]
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        generation = Generation(
            owner=user,
            model=endpoint,
            endpoint_id=endpoint.endpoint_id,
            team=team if i % 5 == 0 else None,
            visibility="team" if i % 5 == 0 else "private",
            input={"prompt": prompt, "seed": i, "num_inference_steps": 4},
            status="completed",
            output={"images": [{"url": "https://v3.fal.media/files/x.png"}], "seed": i},
            media_kind="image",
            favorite=i % 17 == 0,
            tags=["bench"] if i % 11 == 0 else [],
        )
        generation.search_text = build_search_text(generation)
        batch.append(generation)
        if len(batch) == 5000 or i == rows - 1:
            created = Generation.objects.bulk_create(batch)
            # bulk_create sets created=now for all; spread them over a year like real use.
            for n, g in enumerate(created):
                g.created = start + timedelta(seconds=(have + n) * 300)
            Generation.objects.bulk_update(created, ["created"], batch_size=5000)
            MediaAsset.objects.bulk_create(
                MediaAsset(
                    generation=g,
                    kind="image",
                    file=f"generations/{g.code}/00-images-0.png",
                    thumbnail=f"generations/{g.code}/00-images-0.thumb.jpg",
                    source_url="https://v3.fal.media/files/x.png",
                    content_type="image/png",
                    width=1024,
                    height=1024,
                    bytes=500_000,
                    sha256="0" * 64,
                )
                for g in created
            )
            have += len(created)
            batch = []
            print(f"  {have} generations", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE jobs_generation; ANALYZE jobs_mediaasset;")
    return user, team


def time_get(client, path: str, params: dict, headers: dict | None = None) -> list[float]:
    for _ in range(10):  # warm caches, connections, templates
        client.get(path, params, headers=headers or {})
    samples = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        response = client.get(path, params, headers=headers or {})
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def explain_search(user) -> str:
    from playground.gallery.queries import Filters, apply
    from playground.jobs.models import Generation

    filters = Filters.from_query({"q": "lighthouse neon"})
    rows = apply(Generation.objects.filter(owner=user, deleted_at__isnull=True), filters)
    rows = rows.order_by("-created", "-id")[:41]
    return rows.explain()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    ensure_database()
    setup_django()
    from django.test import Client

    print(f"Filling {DB_NAME} with {args.rows} generations…", flush=True)
    user, team = fill(args.rows)
    client = Client()
    client.force_login(user)
    cases = {
        "first page": ("/gallery/", {}, None),
        "search 'lighthouse'": ("/gallery/", {"q": "lighthouse"}, None),
        "search 'lighthouse neon dusk'": ("/gallery/", {"q": "lighthouse neon dusk"}, None),
        "search as you type 'ligh'": ("/gallery/", {"q": "ligh"}, None),
        "favorites": ("/gallery/", {"favorites": "1"}, None),
        "team gallery": (f"/teams/{team.slug}/gallery/", {}, None),
    }
    report: dict[str, object] = {"gallery_rows": args.rows}
    for name, (path, params, headers) in cases.items():
        figures = summary(time_get(client, path, params, headers))
        report[f"gallery {name}"] = figures
        show(f"gallery {name}", figures)
    # The next page (infinite scroll) from deep in the gallery: keyset, so as cheap.
    page = client.get("/gallery/", {"sort": "oldest"})
    cursor = page.text.split("cursor=", 1)[1].split('"', 1)[0]
    figures = summary(time_get(client, "/gallery/", {"cursor": cursor}, {"HX-Request": "true"}))
    report["gallery next page (htmx)"] = figures
    show("gallery next page (htmx)", figures)
    plan = explain_search(user)
    uses_index = "gen_search_fts" in plan
    report["gallery search uses gen_search_fts"] = uses_index
    print("\nSearch plan:\n" + plan)
    first = report["gallery first page"]["p50_ms"]
    verdict = "within" if first <= BUDGET_P50_MS else "OVER"
    print(f"\nFirst page p50 {first} ms: {verdict} the {BUDGET_P50_MS} ms budget.")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged.update(report)
    merged["gallery_when"] = datetime.now(UTC).isoformat()
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
