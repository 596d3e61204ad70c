"""Benchmarks: run with `make bench`; figures are printed and saved to bench/results/.

Measured against the real server (daphne + the embedded emulator) in a subprocess:
- status-event latency: from the emulator stamping a log line to our client holding it,
  via the SSE status stream, versus polling at the official clients' intervals (Python
  100 ms, JS 500 ms), with 1 and 50 requests in flight;
- queue round trip (submit -> COMPLETED -> result) of a small flux/schnell image.
Nothing here is asserted: the figures are reported, and compared in issue notes.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


ENDPOINT = "fal-ai/flux/schnell"
# The emulator of the bench server answers only its key. Chosen here, not read from the
# settings: this process must not load Django's settings before bench/catalog.py points them
# at the bench database.
BENCH_KEY = secrets.token_urlsafe(24)
SMALL = {"prompt": "bench", "image_size": {"width": 128, "height": 128}}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def age_ms(timestamp: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(timestamp)).total_seconds() * 1000


async def follow_stream(fal, request_id: str, samples: list[float]) -> None:
    seen = None  # lines already there when the stream opened are replay, not live
    async for status in fal.stream_status(ENDPOINT, request_id):
        fresh = status.logs[seen or 0 :] if seen is not None else []
        seen = len(status.logs)
        samples.extend(age_ms(log.timestamp) for log in fresh if log.timestamp)


async def follow_polling(fal, request_id: str, samples: list[float], interval: float) -> None:
    seen = None
    while True:
        status = await fal.status(ENDPOINT, request_id)
        fresh = status.logs[seen or 0 :] if seen is not None else []
        seen = len(status.logs)
        samples.extend(age_ms(log.timestamp) for log in fresh if log.timestamp)
        if status.done:
            return
        await asyncio.sleep(interval)


async def event_latency(server, in_flight: int, mode: str) -> dict[str, float]:
    from playground.fal.client import FalClient
    from playground.fal.types import FalUrls

    samples: list[float] = []
    async with FalClient(key=BENCH_KEY, urls=FalUrls.local(server.localfal)) as fal:
        handles = await asyncio.gather(*(fal.submit(ENDPOINT, SMALL) for _ in range(in_flight)))
        if mode == "stream":
            followers = [follow_stream(fal, h.request_id, samples) for h in handles]
        else:
            interval = 0.1 if mode == "poll-100ms" else 0.5
            followers = [follow_polling(fal, h.request_id, samples, interval) for h in handles]
        await asyncio.gather(*followers)
    return {
        "p50_ms": round(percentile(samples, 0.5), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "n": len(samples),
    }


async def round_trip(server, repeats: int = 20) -> dict[str, float]:
    from playground.fal.client import FalClient
    from playground.fal.types import FalUrls

    durations = []
    async with FalClient(key=BENCH_KEY, urls=FalUrls.local(server.localfal)) as fal:
        for _ in range(repeats):
            started = time.perf_counter()
            handle = await fal.submit(ENDPOINT, SMALL)
            async for _status in fal.stream_status(ENDPOINT, handle.request_id):
                pass
            await fal.result(ENDPOINT, handle.request_id)
            durations.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(durations), 2),
        "p99_ms": round(percentile(durations, 0.99), 2),
    }


async def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    from playground.lib import liveserver

    data_dir = Path(tempfile.mkdtemp(prefix="playground-bench-"))
    server = liveserver.start(
        data_dir,
        database_url=f"sqlite:///{data_dir / 'bench.sqlite3'}",
        migrate=True,
        LOCALFAL_SPEED="0.2",
        LOCALFAL_RUNNERS="64",
        LOCALFAL_KEY=BENCH_KEY,
    )
    report: dict[str, object] = {"when": datetime.now(UTC).isoformat()}
    try:
        for in_flight in (1, 50):
            for mode in ("stream", "poll-100ms", "poll-500ms"):
                key = f"event_latency[{mode}, {in_flight} in flight]"
                report[key] = await event_latency(server, in_flight, mode)
                print(f"{key:45} {report[key]}")
        report["queue_round_trip[speed 0.2]"] = await round_trip(server)
        print(f"{'queue_round_trip[speed 0.2]':45} {report['queue_round_trip[speed 0.2]']}")
        from bench import catalog as catalog_bench  # the ORM needs a thread without a loop

        bench_db = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        report.update(await asyncio.to_thread(catalog_bench.run, server, bench_db))
    finally:
        server.stop()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
