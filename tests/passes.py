"""`make test`: the whole suite in each of its settings, both passes at once.

1. `defaults`, one machine as `make run` sets it up: SQLite, the in-memory channel layer,
   media on local disk;
2. `production`, many machines as README "Production topology" sets them up: Postgres,
   Redis, and media in an S3-compatible bucket (TEST_STORAGE=s3: a local moto server).
   When Postgres or Redis does not answer on localhost, this pass runs with the bucket
   alone (`object-store`).

Object storage is for installs of several machines, and those run Postgres and Redis, so
the bucket is tested with them rather than in a third pass of its own: that pass cost a
third of the suite's time and tested SQLite with a bucket, a setup nobody runs.

The passes share nothing: each has its own DATA_DIR (SQLite file, media, secrets) and its
own Redis database for the tests that flush one, so they run side by side, one per core
(TEST_PASSES_AT_ONCE, default 2; 1 runs them one after another). Each pass writes to
var/test-passes/<name>.log; a pass's output is printed whole when it ends, so CI shows each
pass in one piece. Exits non-zero when any pass failed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "test-passes"
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/playground")
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Pass:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = LOGS / f"{self.name}.log"


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False


def passes() -> list[Pass]:
    """The defaults, then the bucket with Postgres + Redis when both answer, else alone."""
    bucket = {"TEST_STORAGE": "s3", "TEST_REDIS_SPARE_DB": "14"}
    if answers("127.0.0.1", 5432) and answers("127.0.0.1", 6379):
        name, bucket = "production", {**bucket, "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}
    else:
        print("== Postgres or Redis not answering on localhost: the bucket is tested alone ==")
        name = "object-store"
    data_dir = {"DATA_DIR": str(ROOT / "var" / f"pass-{name}")}
    return [Pass("defaults", {"TEST_REDIS_SPARE_DB": "13"}), Pass(name, {**bucket, **data_dir})]


def run(one: Pass) -> tuple[Pass, int, float]:
    started = time.monotonic()
    with one.log.open("wb") as log:
        code = subprocess.call(
            [sys.executable, "-m", "pytest", *sys.argv[1:]],
            cwd=ROOT,
            env={**os.environ, **one.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    took = time.monotonic() - started
    sys.stdout.write(f"\n== pass {one.name} ({' '.join(f'{k}={v}' for k, v in one.env.items())})"
                     f": exit {code} in {took / 60:.1f} min ==\n")  # fmt: skip
    sys.stdout.write(one.log.read_text(errors="replace"))
    sys.stdout.flush()
    return one, code, took


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    at_once = max(1, int(os.environ.get("TEST_PASSES_AT_ONCE", "2")))
    todo = passes()
    print(f"== {len(todo)} passes, {at_once} at a time: {', '.join(p.name for p in todo)} ==")
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        results = list(pool.map(run, todo))
    print("\n== summary ==")
    for one, code, took in results:
        print(f"  {one.name:15} {'passed' if code == 0 else f'FAILED (exit {code})':18} "
              f"{took / 60:.1f} min   log: {one.log.relative_to(ROOT)}")  # fmt: skip
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
