"""Gateway bench: our /api/fal/proxy against fal's own @fal-ai/server-proxy (Express).

In the same run both forward to the same upstream, the emulator alone (`manage.py
localfal`, its own process); a direct client of the emulator is the baseline:
- status polls (GET of a finished request's status, the call apps repeat most) at 1 and at
  50 concurrent clients: requests/s, p50/p99, and added p50/p99 over direct;
- 500 concurrent SSE status streams of requests still running: how many finish with their
  COMPLETED event, and the time until the last one did.
Budget (DESIGN.md): throughput >= 1.0x server-proxy, added p50 <= 2 ms, 500 concurrent
SSE streams. Run `python bench/gateway.py` (or `make bench`); figures are printed and merged
into bench/results/latest.json. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(tempfile.mkdtemp(prefix="playground-bench-gw-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'bench.sqlite3'}")
os.environ["DATA_DIR"] = str(DATA)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402

from playground.lib import liveserver  # noqa: E402

APP = "fal-ai/flux/schnell"
INPUT = {"prompt": "a bench lighthouse", "image_size": {"width": 64, "height": 64}}
POLLS = int(os.environ.get("BENCH_GW_POLLS", "600"))  # per client kind and concurrency
STREAMS = int(os.environ.get("BENCH_GW_STREAMS", "500"))
JS_DIR = ROOT / "bench" / "js"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


def start_emulator() -> tuple[str, subprocess.Popen]:
    port = liveserver.free_port()
    env = liveserver.process_env(DATA, LOCALFAL_RUNNERS="600", LOCALFAL_SPEED="0.01")
    args = [sys.executable, "manage.py", "localfal", "--port", str(port)]
    process = liveserver.spawn(args, env, DATA / "emulator.log")
    wait_for(f"http://127.0.0.1:{port}/healthz", process, "the emulator")
    return f"http://127.0.0.1:{port}/localfal", process


def start_server_proxy(emulator: str) -> tuple[str, subprocess.Popen]:
    if not (JS_DIR / "node_modules" / "@fal-ai" / "server-proxy").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=JS_DIR, check=True)  # fmt: skip
    port = liveserver.free_port()
    env = {**os.environ, "FAL_KEY": liveserver.install_key()}
    node = shutil.which("node") or "/usr/bin/node"
    with (DATA / "server-proxy.log").open("ab") as log:
        process = subprocess.Popen(
            [node, str(JS_DIR / "server_proxy.mjs"), str(port), emulator],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/fal/proxy"
    wait_for(f"http://127.0.0.1:{port}/", process, "server-proxy")
    return url, process


def make_token() -> str:
    from django.contrib.auth import get_user_model

    from playground.gateway import tokens
    from playground.limits.models import PersonTier, Tier

    user, _ = get_user_model().objects.get_or_create(username="bench-gw")
    # Submits are counted against the rate limit (polls are not): a limit the bench never
    # reaches, so the limiter's cost is measured without a refusal.
    PersonTier.objects.update_or_create(
        user=user, defaults={"tier": Tier.ENTERPRISE, "per_minute": 1_000_000}
    )
    return tokens.mint(user, label="bench").secret


class Caller:
    """One way to reach fal: the emulator directly, our gateway, or server-proxy."""

    def __init__(self, name: str, url: str, headers: dict[str, str], proxied: bool) -> None:
        self.name, self.url, self.headers, self.proxied = name, url, headers, proxied

    def request(self, fal_url: str, emulator: str) -> tuple[str, dict[str, str]]:
        if self.proxied:
            return self.url, {**self.headers, "x-fal-target-url": fal_url}
        path = fal_url.removeprefix("https://queue.fal.run")
        return f"{emulator}/queue{path}", self.headers


async def submit_all(gateway: Caller, emulator: str, count: int) -> list[str]:
    """Requests submitted through the gateway (so it knows they are the bench user's)."""
    url, headers = gateway.request(f"https://queue.fal.run/{APP}", emulator)
    async with httpx.AsyncClient(timeout=60) as http:
        answers = await asyncio.gather(
            *(http.post(url, json=INPUT, headers=headers) for _ in range(count))
        )
    return [answer.json()["status_url"] for answer in answers]


async def polls(caller: Caller, emulator: str, status_urls: list[str], clients: int) -> dict:
    times: list[float] = []
    failures = 0
    pending = list(status_urls) * (POLLS // len(status_urls) + 1)
    pending = pending[:POLLS]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def client() -> None:
            nonlocal failures
            while pending:
                url, headers = caller.request(pending.pop(), emulator)
                started = time.perf_counter()
                answer = await http.get(url, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                failures += answer.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {
        "rps": round(len(times) / elapsed, 1),
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "failures": failures,
    }


async def streams(caller: Caller, emulator: str, status_urls: list[str]) -> dict:
    """Every stream at once; each must end with its COMPLETED event."""
    completed = 0
    limits = httpx.Limits(max_connections=len(status_urls) + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def one(status_url: str) -> None:
            nonlocal completed
            url, headers = caller.request(f"{status_url}/stream", emulator)
            async with http.stream("GET", url, headers=headers) as answer:
                async for line in answer.aiter_lines():
                    if line.startswith("data:") and '"COMPLETED"' in line:
                        completed += 1
                        return

        began = time.perf_counter()
        await asyncio.gather(*(one(url) for url in status_urls), return_exceptions=True)
        elapsed = time.perf_counter() - began
    return {"streams": len(status_urls), "completed": completed, "seconds": round(elapsed, 2)}


def main() -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("import_schemas", "--bundled", verbosity=0)
    emulator, emulator_process = start_emulator()
    server = liveserver.start(DATA, LOCALFAL_URL=emulator, RUNNER_EMBEDDED="0", name="web")
    anchor_url, anchor_process = start_server_proxy(emulator)
    key = liveserver.install_key()
    direct = Caller("direct", emulator, {"Authorization": f"Key {key}"}, proxied=False)
    gateway = Caller(
        "gateway", f"{server.url}/api/fal/proxy",
        {"Authorization": f"Key {make_token()}"}, proxied=True,
    )  # fmt: skip
    anchor = Caller("server-proxy", anchor_url, {}, proxied=True)
    try:
        return asyncio.run(measure(emulator, direct, gateway, anchor))
    finally:
        server.stop()
        anchor_process.terminate()
        emulator_process.terminate()


async def measure(emulator: str, direct: Caller, gateway: Caller, anchor: Caller) -> dict:
    figures: dict = {}
    finished = await submit_all(gateway, emulator, 50)
    await asyncio.sleep(1)  # at speed 0.01 every one of them is done by now
    callers = (direct, gateway, anchor)
    for caller in callers:
        await polls(caller, emulator, finished, 10)  # warm-up
    for clients in (1, 50):
        # Alternating rounds, so drift on a shared machine hits every caller alike.
        rounds: dict[str, list[dict]] = {c.name: [] for c in callers}
        for _ in range(3):
            for caller in callers:
                rounds[caller.name].append(await polls(caller, emulator, finished, clients))
        figures[f"polls_{clients}"] = {
            name: {k: statistics.median(r[k] for r in results) for k in results[0]}
            for name, results in rounds.items()
        }
    for caller in (gateway, anchor):
        slow = await submit_slow(gateway, emulator, STREAMS)
        figures[f"sse_{caller.name}"] = await streams(caller, emulator, slow)
    return figures


async def submit_slow(gateway: Caller, emulator: str, count: int) -> list[str]:
    """Requests that take a few seconds in the emulator, so their streams stay open."""
    url, headers = gateway.request(f"https://queue.fal.run/{APP}", emulator)
    body = {**INPUT, "num_inference_steps": 40}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as http:
        answers = await asyncio.gather(
            *(http.post(url, json=body, headers=headers) for _ in range(count))
        )
    return [answer.json()["status_url"] for answer in answers if answer.status_code == 200]


def report(figures: dict) -> dict:
    summary = {}
    for clients in (1, 50):
        table = figures[f"polls_{clients}"]
        base = table["direct"]
        print(f"\nstatus polls, {clients} concurrent client(s):")
        for name, row in table.items():
            added = "" if name == "direct" else (
                f"  added p50 {row['p50_ms'] - base['p50_ms']:+.2f} ms,"
                f" p99 {row['p99_ms'] - base['p99_ms']:+.2f} ms"
            )  # fmt: skip
            print(f"  {name:13} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:6.2f} ms"
                  f"  p99 {row['p99_ms']:7.2f} ms  failures {row['failures']}{added}")  # fmt: skip
        ours, theirs = table["gateway"], table["server-proxy"]
        summary[f"c{clients}"] = {
            "throughput_vs_server_proxy": round(ours["rps"] / theirs["rps"], 2),
            "gateway_added_p50_ms": round(ours["p50_ms"] - base["p50_ms"], 2),
            "gateway_added_p99_ms": round(ours["p99_ms"] - base["p99_ms"], 2),
            "server_proxy_added_p50_ms": round(theirs["p50_ms"] - base["p50_ms"], 2),
        }
    for name in ("gateway", "server-proxy"):
        sse = figures[f"sse_{name}"]
        print(f"\n{sse['streams']} concurrent SSE status streams via {name}: "
              f"{sse['completed']} completed in {sse['seconds']} s")  # fmt: skip
    print("\nsummary:", json.dumps(summary, indent=2))
    return {"figures": figures, "summary": summary}


if __name__ == "__main__":
    results = report(main())
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged["gateway"] = {"when": datetime.now(UTC).isoformat(), **results}
    latest.write_text(json.dumps(merged, indent=2))
