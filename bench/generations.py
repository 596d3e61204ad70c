"""Generations bench: how fast a status event reaches a browser, and how many generations
one runner process tracks.

1. Event latency: the emulator stamps each log line; a WebSocket client (as a browser)
   watching /ws/generations/<code>/ on the web process notes when the line arrives. The
   path is emulator -> SSE status stream -> runner -> DB -> channel layer -> consumer ->
   socket. Measured at 1, 100 and 1,000 generations in flight; compared in the same run
   with the official clients' polling intervals (Python 100 ms, JS 500 ms) against the
   emulator directly.
2. Capacity: N generations in flight tracked by one `runjobs` process; its peak RSS; none
   lost.
Run: `python bench/generations.py` (or `make bench`). Figures are printed and merged into
bench/results/latest.json. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(tempfile.mkdtemp(prefix="playground-bench-gen-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'bench.sqlite3'}")
os.environ["DATA_DIR"] = str(DATA)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import websockets  # noqa: E402

from playground.lib import liveserver  # noqa: E402

TS = re.compile(r'data-ts="([^"]+)"')
HANDSHAKES_AT_ONCE = 50
ENDPOINT = "fal-ai/flux/schnell"
INPUT = {"prompt": "bench", "image_size": {"width": 64, "height": 64}, "num_inference_steps": 8}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "n": len(values),
    }


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_emulator(runners: int, speed: float) -> tuple[str, object]:
    port = liveserver.free_port()
    env = liveserver.process_env(DATA, LOCALFAL_RUNNERS=str(runners), LOCALFAL_SPEED=str(speed))
    args = [sys.executable, "manage.py", "localfal", "--port", str(port)]
    process = liveserver.spawn(args, env, DATA / "emulator.log")
    wait_up(f"http://127.0.0.1:{port}/healthz")
    return f"http://127.0.0.1:{port}/localfal", process


def make_user_and_cookie(server_url: str) -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user, _ = get_user_model().objects.get_or_create(username="bench")
    user.password = make_password("bench-pass-123", hasher="pbkdf2_sha256")
    user.save()
    with httpx.Client(base_url=server_url) as client:
        client.get("/accounts/login/")
        token = client.cookies["csrftoken"]
        client.post(
            "/accounts/login/",
            data={"username": "bench", "password": "bench-pass-123", "csrfmiddlewaretoken": token},
            headers={"Referer": server_url + "/accounts/login/"},
        )
        return dict(client.cookies)


def submit(count: int) -> list[str]:
    from django.contrib.auth import get_user_model

    from playground.catalog.models import Endpoint
    from playground.jobs import actions

    user = get_user_model().objects.get(username="bench")
    endpoint = Endpoint.objects.get(endpoint_id=ENDPOINT)
    return [
        str(actions.submit_generation(user=user, endpoint=endpoint, input=INPUT).code)
        for _ in range(count)
    ]


async def watch(
    server_url: str,
    cookies: dict[str, str],
    code: str,
    samples: list[float],
    gate: asyncio.Semaphore,
) -> None:
    """Like a browser: open the socket, note each new log line's age when it arrives."""
    ws_url = server_url.replace("http", "ws", 1) + f"/ws/generations/{code}/"
    headers = {"Origin": server_url, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    first = True
    async with gate:  # a browser per generation, but not all opening in the same ms
        socket = await websockets.connect(
            ws_url, additional_headers=headers, max_size=None, open_timeout=120
        )
    async with socket:
        async for message in socket:
            arrived = datetime.now(UTC)
            if not first:  # the first frame is the replay, not live news
                for stamp in TS.findall(message):
                    samples.append((arrived - datetime.fromisoformat(stamp)).total_seconds() * 1000)
            first = False
            if 'data-status="completed"' in message or 'data-status="failed"' in message:
                return


async def event_latency(server_url: str, cookies: dict[str, str], count: int) -> dict[str, float]:
    samples: list[float] = []
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    codes = await asyncio.to_thread(submit, count)
    await asyncio.wait_for(
        asyncio.gather(*(watch(server_url, cookies, code, samples, gate) for code in codes)), 900
    )
    return summary(samples)


async def polling_latency(emulator: str, count: int, interval: float) -> dict[str, float]:
    from playground.fal.client import FalClient
    from playground.fal.types import FalUrls

    samples: list[float] = []

    async def follow(fal: FalClient, request_id: str) -> None:
        seen = None
        while True:
            status = await fal.status(ENDPOINT, request_id)
            fresh = status.logs[seen:] if seen is not None else []
            seen = len(status.logs)
            now = datetime.now(UTC)
            samples.extend(
                (now - datetime.fromisoformat(log.timestamp)).total_seconds() * 1000
                for log in fresh
                if log.timestamp
            )
            if status.done:
                return
            await asyncio.sleep(interval)

    limits = httpx.Limits(max_connections=200)
    async with FalClient(key="bench", urls=FalUrls.local(emulator)) as fal:
        fal._http._transport = httpx.AsyncHTTPTransport(limits=limits)
        handles = await asyncio.gather(*(fal.submit(ENDPOINT, INPUT) for _ in range(count)))
        await asyncio.gather(*(follow(fal, h.request_id) for h in handles))
    return summary(samples)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def capacity(emulator: str, count: int) -> dict[str, float]:
    """`count` generations in flight on one runjobs process: peak RSS, none lost."""
    from playground.jobs.models import FINISHED, Generation, Status

    Generation.objects.all().delete()
    codes = submit(count)
    env = liveserver.process_env(DATA, LOCALFAL_URL=emulator, RUNNER_CAPACITY=str(count + 10))
    worker = liveserver.spawn([sys.executable, "manage.py", "runjobs"], env, DATA / "worker.log")
    started, peak, tracked_peak = time.monotonic(), 0.0, 0
    try:
        while time.monotonic() - started < 900:
            peak = max(peak, rss_mb(worker.pid))
            finished = Generation.objects.filter(status__in=FINISHED).count()
            in_flight = (
                Generation.objects.exclude(fal_request_id="").exclude(status__in=FINISHED).count()
            )
            tracked_peak = max(tracked_peak, in_flight)
            if finished == count:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    completed = Generation.objects.filter(code__in=codes, status=Status.COMPLETED).count()
    return {
        "generations": count,
        "peak_in_flight_at_fal": tracked_peak,
        "completed": completed,
        "lost": count - completed,
        "worker_peak_rss_mb": round(peak, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    from django.core.management import call_command

    counts = [int(c) for c in os.environ.get("BENCH_IN_FLIGHT", "1,100,1000").split(",")]
    track = int(os.environ.get("BENCH_CAPACITY", "5000"))
    speed = float(os.environ.get("BENCH_SPEED", "2"))
    call_command("migrate", verbosity=0)
    emulator, emu_process = start_emulator(runners=max([*counts, track]), speed=speed)
    server = liveserver.start(
        DATA, database_url=os.environ["DATABASE_URL"], LOCALFAL_URL=emulator, name="web"
    )
    report: dict[str, object] = {}
    try:
        cookies = make_user_and_cookie(server.url)
        for count in counts:
            key = f"status_event_to_browser_ws[{count} in flight]"
            report[key] = asyncio.run(event_latency(server.url, cookies, count))
            print(f"{key:55} {report[key]}", flush=True)
        for interval, who in ((0.1, "python 100 ms"), (0.5, "js 500 ms")):
            key = f"official_client_polling[{who}, 100 in flight]"
            report[key] = asyncio.run(polling_latency(emulator, 100, interval))
            print(f"{key:55} {report[key]}", flush=True)
        server.stop()
        key = f"runner_capacity[{track} in flight, one runjobs process]"
        report[key] = capacity(emulator, track)
        print(f"{key:55} {report[key]}", flush=True)
    finally:
        server.stop()
        emu_process.terminate()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged["generations"] = {"when": datetime.now(UTC).isoformat(), **report}
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
