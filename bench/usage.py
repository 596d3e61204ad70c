"""Usage page benchmark: 30-day views over 1,000,000 logged requests on Postgres.

`python bench/usage.py [--rows N]` creates (or reuses) the database `playground_bench_usage`
on the Postgres of `BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432), fills the
request log with COPY (40 people, 20 of them on one team, each with a personal and a team
token and their own handful of models, spread over the last 30 days), times
`rebuild_usage` over it, then renders the usage page in-process (Django test client: view,
ORM, templates, no socket) and prints p50/p99 for a person's and the team's 30-day view, a
filtered and a 90-day view, the CSV, and what logging one request (row + roll-up upsert)
costs. Figures are merged into bench/results/latest.json; nothing is asserted. Budget
(DESIGN.md): the 30-day view p50 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gallery import PG, percentile, show  # noqa: E402

DB_NAME = "playground_bench_usage"
REPEATS = 100
PEOPLE = 40
ON_TEAM = 20
BUDGET_P50_MS = 100.0
ENDPOINTS = [f"fal-ai/bench-model-{n:02}" for n in range(60)]
COLUMNS = (
    "user_id", "token_id", "team_id", "entrance", "kind", "endpoint_id", "request_id",
    "method", "status", "state", "latency_ms", "queue_ms", "bytes_in", "bytes_out",
    "billable_units", "cost", "follow_ups", "error", "input_text", "output_text",
    "created", "updated",
)  # fmt: skip


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "n": len(samples),
    }


def setup_django() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATA_DIR", str(ROOT / "var" / "bench-usage"))
    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def people():
    """The bench's people, team and tokens: [(user, personal token, team token or None)]."""
    from django.contrib.auth import get_user_model

    from playground.accounts.models import Membership, Role, Team
    from playground.gateway import tokens
    from playground.gateway.models import AccessToken

    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    found = []
    for n in range(PEOPLE):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-usage-{n:02}")
        if n < ON_TEAM:
            role = Role.OWNER if n == 0 else Role.MEMBER
            Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
        mine = AccessToken.objects.filter(user=user, team=None).first()
        mine = mine or tokens.mint(user, label="app").token
        theirs = None
        if n < ON_TEAM:
            theirs = AccessToken.objects.filter(user=user, team=team).first()
            theirs = theirs or tokens.mint(user, label="team app", team=team).token
        found.append((user, mine, theirs))
    return found, team


def fill(rows: int) -> tuple[object, object]:
    """`rows` logged requests over the last 30 days; the first person makes a fifth."""
    from django.core.management import call_command
    from django.db import connection

    from playground.gateway.models import RequestLog

    call_command("migrate", "--noinput", verbosity=0)
    crowd, team = people()
    have = RequestLog.objects.count()
    if have >= rows:
        return crowd[0][0], team
    rng = random.Random(42)
    # Each person calls their own few models, as people do.
    theirs = [rng.sample(ENDPOINTS, 8) for _ in crowd]
    now = datetime.now(UTC)
    copying = f"COPY gateway_requestlog ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copying) as copy:
        for i in range(have, rows):
            copy.write_row(_row(rng, crowd, team, theirs, now))
            if i and i % 200_000 == 0:
                print(f"  {i} requests", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gateway_requestlog")
    return crowd[0][0], team


def _row(rng, crowd, team, theirs, now) -> tuple:
    who = 0 if rng.random() < 0.2 else rng.randrange(1, len(crowd))
    user, mine, team_token = crowd[who]
    pick = rng.random()
    if pick < 0.5:
        token, team_id, entrance = mine, None, rng.choice(("proxy", "gateway"))
    elif pick < 0.8 and team_token is not None:
        token, team_id, entrance = team_token, team.pk, "gateway"
    else:
        token, team_id = None, team.pk if team_token and rng.random() < 0.5 else None
        entrance = "realtime" if rng.random() < 0.1 else "playground"
    failed = rng.random() < 0.03
    created = now - timedelta(seconds=rng.random() * 30 * 86400)
    latency = int(50 + rng.random() ** 3 * 30_000)
    return (
        user.pk, token.pk if token else None, team_id, entrance, "submit",
        rng.choice(theirs[who][: rng.choice((2, 4, 8))]), f"bench-{rng.getrandbits(48):x}",
        "POST", 500 if failed else 200, "FAILED" if failed else "COMPLETED", latency,
        int(rng.random() * 3000) if rng.random() < 0.6 else None, 200, 400, 1.0,
        Decimal(rng.randrange(1, 100_000)) / 1_000_000, rng.randrange(0, 6),
        "fal answered 500" if failed else "", "", "", created, created,
    )  # fmt: skip


def time_get(client, path: str, params: dict, read=False) -> list[float]:
    for _ in range(5):  # warm caches, connections, templates
        _get(client, path, params, read)
    samples = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        _get(client, path, params, read)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _get(client, path, params, read):
    import warnings

    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    if read:  # the CSV streams: read it all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b"".join(response)


def time_logging(user, counted: bool) -> dict[str, float]:
    """One request logged as the gateway logs it (its row and its roll-up upsert, in one
    transaction), or, to compare, the row alone."""
    from playground.gateway.models import RequestLog
    from playground.gateway.requestlog import create_row

    write = create_row if counted else RequestLog.objects.create
    samples = []
    made = []
    for n in range(300):
        t0 = time.perf_counter()
        row = write(
            user_id=user.pk, entrance="proxy", kind="submit", method="POST", status=200,
            endpoint_id=ENDPOINTS[n % 8], latency_ms=800, cost=Decimal("0.025"),
        )  # fmt: skip
        samples.append((time.perf_counter() - t0) * 1000)
        made.append(row.pk)
    RequestLog.objects.filter(pk__in=made).delete()
    return summary(samples[20:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    ensure_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from playground.usage.models import UsageDay

    print(f"Filling {DB_NAME} with {args.rows} logged requests…", flush=True)
    user, team = fill(args.rows)
    t0 = time.perf_counter()
    call_command("rebuild_usage", verbosity=0)
    rebuilt_s = round(time.perf_counter() - t0, 2)
    with connection.cursor() as cursor:
        # The rebuild replaced every row: vacuumed, as autovacuum would have it soon after.
        cursor.execute("VACUUM ANALYZE usage_usageday")
    report: dict[str, object] = {
        "usage_rows": args.rows,
        "usage rollup rows": UsageDay.objects.count(),
        "usage rebuild_usage seconds": rebuilt_s,
    }
    print(f"rebuild_usage: {rebuilt_s} s, {report['usage rollup rows']} roll-up rows")
    client = Client()
    client.force_login(user)
    top_model = UsageDay.objects.filter(team_id=team.pk).values_list("endpoint_id", flat=True)[0]
    cases = {
        "my 30 days": ("/usage/", {}, False),
        "team 30 days": ("/usage/", {"team": team.slug}, False),
        "team 30 days, one model": ("/usage/", {"team": team.slug, "model": top_model}, False),
        "team 90 days": ("/usage/", {"team": team.slug, "days": 90}, False),
        "team CSV by model": ("/usage/export.csv", {"team": team.slug, "rows": "model"}, True),
        "team CSV, every row": ("/usage/export.csv", {"team": team.slug, "rows": "all"}, True),
        # An anchor on the same machine and data: the request log's first page (keyset).
        "anchor: request log first page": ("/gateway/requests/", {"team": team.slug}, False),
    }
    for name, (path, params, read) in cases.items():
        figures = summary(time_get(client, path, params, read))
        report[f"usage {name}"] = figures
        show(f"usage {name}", figures)
    for name, counted in (("row alone", False), ("row + roll-up", True)):
        figures = time_logging(user, counted)
        report[f"usage log one request ({name})"] = figures
        show(f"usage log one request ({name})", figures)
    worst = max(report["usage my 30 days"]["p50_ms"], report["usage team 30 days"]["p50_ms"])
    verdict = "within" if worst <= BUDGET_P50_MS else "OVER"
    print(f"\n30-day view p50 {worst} ms (worst of mine and team): {verdict} the "
          f"{BUDGET_P50_MS} ms budget.")  # fmt: skip
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged.update(report)
    merged["usage_when"] = datetime.now(UTC).isoformat()
    latest.write_text(json.dumps(merged, indent=2))


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


if __name__ == "__main__":
    main()
