"""Generations bench: how fast a status event reaches a browser, and how many generations
one runner process tracks.

1. Event latency: the emulator stamps each log line; a WebSocket client (as a browser)
   watching /ws/generations/<code>/ on the web process notes when the line arrives. The
   path is emulator -> SSE status stream -> runner -> DB -> channel layer -> consumer ->
   socket. The load is steady: N generations kept in flight (each browser runs another as
   its last ends), starts spread over one generation's duration, news counted after that
   warm-up. Measured at 1, 100 and 1,000 in flight; compared in the same run with the same
   load straight at the emulator: its status stream (the floor under the relay) and the
   official clients' polling intervals (Python 100 ms, JS 500 ms).
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


RUN_FORM = {
    "prompt": "bench",
    "image_size:branch": "0",
    "image_size:0.width": "64",
    "image_size:0.height": "64",
    "num_inference_steps": "8",
}


class Browser:
    """What one browser tab does: Run on the model page (a form POST), then watch the
    generation's panel socket, noting each new log line's age when it arrives."""

    def __init__(self, server_url: str, cookies: dict[str, str], http: httpx.AsyncClient):
        self.server_url = server_url
        self.cookies = cookies
        self.http = http
        self.headers = {
            "Origin": server_url,
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }

    async def run(self) -> str:
        response = await self.http.post(
            f"/models/{ENDPOINT}/run",
            data=RUN_FORM,
            headers={
                "X-CSRFToken": self.cookies["csrftoken"],
                "Referer": self.server_url + "/",
                "HX-Request": "true",
            },
        )
        response.raise_for_status()
        return re.search(r'id="gen-([0-9a-f-]{36})"', response.text).group(1)

    async def watch(self, code: str, samples: list[float], since: float) -> None:
        ws_url = self.server_url.replace("http", "ws", 1) + f"/ws/generations/{code}/"
        loop = asyncio.get_running_loop()
        first = True
        async with websockets.connect(
            ws_url, additional_headers=self.headers, max_size=None, open_timeout=120
        ) as socket:
            async for message in socket:
                arrived = datetime.now(UTC)
                if not first and loop.time() >= since:  # the first frame is the replay
                    for stamp in TS.findall(message):
                        age = (arrived - datetime.fromisoformat(stamp)).total_seconds()
                        samples.append(age * 1000)
                first = False
                if 'data-status="completed"' in message or 'data-status="failed"' in message:
                    return


async def event_latency(
    server_url: str, cookies: dict[str, str], count: int, seconds: float, duration: float
) -> dict[str, float]:
    """`count` generations kept in flight for `seconds`: as each ends, its browser runs
    another. Starts are spread over one generation's `duration`, as real traffic is, and
    only news after that warm-up counts (the start is a burst no steady load has)."""
    samples: list[float] = []
    loop = asyncio.get_running_loop()
    since = loop.time() + duration
    deadline = since + seconds
    finished = 0

    async def lane(index: int, browser: Browser) -> None:
        nonlocal finished
        await asyncio.sleep(duration * index / count)
        while loop.time() < deadline:
            code = await browser.run()
            await browser.watch(code, samples, since)
            finished += 1

    limits = httpx.Limits(max_connections=count + 10)
    async with httpx.AsyncClient(
        base_url=server_url, cookies=cookies, limits=limits, timeout=120
    ) as http:
        browser = Browser(server_url, cookies, http)
        await asyncio.wait_for(
            asyncio.gather(*(lane(i, browser) for i in range(count))), seconds + 900
        )
    return {**summary(samples), "generations": finished}


async def upstream_latency(
    emulator: str, count: int, seconds: float, duration: float, poll: float | None
) -> dict[str, float]:
    """The same steady load straight at the emulator, no web server between: following
    the status stream (`poll` None: the floor the relay adds to) or polling every `poll`
    seconds as the official clients do (Python 100 ms, JS 500 ms)."""
    from playground.fal.client import FalClient
    from playground.fal.types import FalUrls

    samples: list[float] = []
    loop = asyncio.get_running_loop()
    since = loop.time() + duration
    deadline = since + seconds

    def note(logs: list, now: datetime) -> None:
        if loop.time() >= since:
            samples.extend(
                (now - datetime.fromisoformat(log.timestamp)).total_seconds() * 1000
                for log in logs
                if log.timestamp
            )

    async def follow(fal: FalClient, request_id: str) -> None:
        seen = 0
        if poll is None:
            async for status in fal.stream_status(ENDPOINT, request_id):
                note(status.logs[seen:], datetime.now(UTC))
                seen = len(status.logs)
                if status.done:
                    return
        while True:
            status = await fal.status(ENDPOINT, request_id)
            note(status.logs[seen:], datetime.now(UTC))
            seen = len(status.logs)
            if status.done:
                return
            await asyncio.sleep(poll)

    async def lane(index: int, fal: FalClient) -> None:
        await asyncio.sleep(duration * index / count)
        while loop.time() < deadline:
            handle = await fal.submit(ENDPOINT, INPUT)
            await follow(fal, handle.request_id)

    limits = httpx.Limits(max_connections=count + 50)
    async with FalClient(
        key=liveserver.install_key(), urls=FalUrls.local(emulator), limits=limits
    ) as fal:
        await asyncio.gather(*(lane(i, fal) for i in range(count)))
    return summary(samples)


def pin(pid: int, cores: set[int]) -> None:
    """Keep a process, every thread of it, on the given cores (Linux)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(tid), cores)


def pinning() -> bool:
    """The web process gets a core of its own; the emulator (standing in for fal's
    servers) and the simulated browsers share the other. In production both are other
    machines: left on the same cores, they would take the server's CPU in the middle of
    the path being measured. BENCH_PIN=0 measures with everything sharing every core.

    This process moves to core 1, so what it starts (the emulator) stays there; the web
    process is moved to core 0 once it is up."""
    if os.environ.get("BENCH_PIN", "1") == "0" or (os.cpu_count() or 1) < 2:
        return False
    pin(os.getpid(), {1})
    return True


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
    # An image generation lasts 2.5 s x speed on the emulator (8 progress logs). Speed 4
    # makes it 10 s: 100 in flight is then 10 generations starting and ~100 log lines a
    # second. Above 100 in flight generations last longer in proportion (1,000 in flight
    # are long jobs, e.g. video), so starts stay at 10 a second and what grows is how many
    # streams, sockets and trackers one process holds.
    speed = float(os.environ.get("BENCH_SPEED", "4"))
    window = float(os.environ.get("BENCH_SECONDS", "20"))
    call_command("migrate", verbosity=0)
    report: dict[str, object] = {}
    pinned = pinning()

    def record(key: str, value: object) -> None:
        report[key] = value
        print(f"{key:55} {value}", flush=True)

    record(
        "cores",
        "web process on core 0; emulator and browsers on core 1"
        if pinned
        else f"all processes share {os.cpu_count()} cores",
    )
    for count in counts:
        scaled = speed * max(1.0, count / 100)
        duration = 2.5 * scaled
        emulator, emu_process = start_emulator(runners=count, speed=scaled)
        # One bench user plays every browser: no per-person cap on runs in flight.
        server = liveserver.start(
            DATA,
            database_url=os.environ["DATABASE_URL"],
            LOCALFAL_URL=emulator,
            RUNS_IN_FLIGHT_PER_USER="0",
            name="web",
        )
        if pinned:
            pin(server.process.pid, {0})
        try:
            cookies = make_user_and_cookie(server.url)
            record(
                f"status_event_to_browser_ws[{count} in flight]",
                asyncio.run(event_latency(server.url, cookies, count, window, duration)),
            )
            server.stop()
            record(
                f"upstream_stream_direct_no_relay[{count} in flight]",
                asyncio.run(upstream_latency(emulator, count, window, duration, None)),
            )
            if count == 100:
                for interval, who in ((0.1, "python 100 ms"), (0.5, "js 500 ms")):
                    record(
                        f"official_client_polling[{who}, 100 in flight]",
                        asyncio.run(upstream_latency(emulator, 100, window, duration, interval)),
                    )
        finally:
            server.stop()
            emu_process.terminate()
    if track:  # BENCH_CAPACITY=0 skips the capacity run
        os.sched_setaffinity(0, range(os.cpu_count() or 1))  # capacity: every core for all
        emulator, emu_process = start_emulator(runners=track, speed=2)
        try:
            key = f"runner_capacity[{track} in flight, one runjobs process]"
            record(key, capacity(emulator, track))
        finally:
            emu_process.terminate()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged["generations"] = {"when": datetime.now(UTC).isoformat(), **report}
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
