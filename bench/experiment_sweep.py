"""A 10x10 sweep end to end, as a person runs it, against 100 runs from the model form.

The real product in a subprocess (daphne, its embedded runner and emulator, SQLite, as
`make run` serves it), driven over HTTP and WebSockets like a browser:

1. Experiment: the form is posted (plan, then confirm) for a 10x10 sweep of guidance_scale x
   num_inference_steps on fal-ai/flux/dev; the clock runs from the start until the grid's
   WebSocket has shown all 100 cells completed.
2. Form, one after another: the same 100 inputs, each posted to the model's Run and waited
   for on its live panel (the generation's WebSocket) before the next, as a person clicking
   Run would.
3. The server's memory (RSS of the daphne process) before, at its peak during each part, and
   after.

Two people run the parts, so neither part's rate limit sees the other's runs. The emulator
gets LOCALFAL_RUNNERS workers (fal runs requests in parallel; `make run` uses 2). Run:
`python bench/experiment_sweep.py` (or through bench/experiments.py). Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENDPOINT = "fal-ai/flux/dev"
SPEED = os.environ.get("BENCH_SWEEP_SPEED", "0.2")  # one run computes 2.5 s x SPEED
RUNNERS = os.environ.get("BENCH_SWEEP_RUNNERS", "16")
GUIDANCE = [round(1.5 + n * 0.5, 1) for n in range(10)]
STEPS = list(range(4, 14))
PASSWORD = "pw-bench-" + secrets.token_hex(6)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
COMPLETED_CELL = re.compile(r'class="xg-cell xg-cell--(\w+)" id="([^"]+)"')
STATUS = re.compile(r'data-status="(\w+)"')
DONE = {"completed", "failed", "cancelled"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc; clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakMemory:
    """Samples a process's RSS every 50 ms in a thread; `peak` since the last reset."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb(self.pid))

    def reset(self) -> float:
        self.peak = rss_mb(self.pid)
        self.cpu = cpu_seconds(self.pid)
        return self.peak

    def cpu_used(self) -> float:
        return round(cpu_seconds(self.pid) - self.cpu, 1)

    def stop(self) -> None:
        self._stop.set()


def make_people(env: dict[str, str]) -> None:
    from playground.lib import liveserver

    code = (
        "from django.contrib.auth import get_user_model; U = get_user_model()\n"
        f"[U.objects.create_user(n, password={PASSWORD!r}) for n in ('bench-sweep', 'bench-form')]"
    )
    liveserver.manage("shell", "-c", code, env=env)


def csrf(http: httpx.Client, page: str) -> str:
    answer = http.get(page)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
    return found.group(1) if found else ""


def signed_in(base: str, username: str) -> httpx.Client:
    http = httpx.Client(
        base_url=base, timeout=60, headers={"Referer": f"{base}/"}, follow_redirects=True
    )
    token = csrf(http, "/accounts/login/")
    data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    answer = http.post("/accounts/login/", data=data)
    if "sessionid" not in http.cookies:
        raise RuntimeError(f"log-in failed for {username}: {answer.status_code}")
    return http


def ws_headers(http: httpx.Client, base: str) -> dict[str, str]:
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return {"Cookie": cookie, "Origin": base}


async def watch(url: str, headers: dict[str, str], seen: dict[str, str], goal, refresh) -> None:
    """Read a live page's frames into `seen` until `goal(seen)`; a quiet second reads the
    page over HTTP instead (a change may land before the socket is open)."""
    async with websockets.connect(url, additional_headers=headers, max_size=None) as socket:
        while not goal(seen):
            try:
                frame = await asyncio.wait_for(socket.recv(), timeout=1.0)
            except TimeoutError:
                frame = await asyncio.to_thread(refresh)
            seen.update(frame_states(frame))


def frame_states(frame: str | bytes) -> dict[str, str]:
    text = frame.decode() if isinstance(frame, bytes) else frame
    states = {cell: status for status, cell in COMPLETED_CELL.findall(text)}
    statuses = STATUS.findall(text)
    if statuses:
        states["__run__"] = statuses[-1]
    return states


def run_experiment(base: str, memory: PeakMemory) -> dict[str, float]:
    http = signed_in(base, "bench-sweep")
    page = f"/models/{ENDPOINT}/experiment"
    plan = {
        "csrfmiddlewaretoken": csrf(http, page),
        "__step": "plan",
        "__kind": "sweep",
        "prompt": "a lighthouse at dusk",
        "__x_field": "guidance_scale",
        "__x_values": ", ".join(map(str, GUIDANCE)),
        "__y_field": "num_inference_steps",
        "__y_values": ", ".join(map(str, STEPS)),
    }
    confirm = http.post(page, data=plan)
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(confirm.text)}
    if fields.get("__step") != "start" and "Start 100 runs?" not in confirm.text:
        raise RuntimeError(f"the plan was refused: {confirm.status_code}")
    fields.update({"__step": "start", "__confirmed": "1"})
    memory.reset()
    started = time.perf_counter()
    answer = http.post(page, data=fields)
    grid = str(answer.url.path)
    if not grid.startswith("/experiments/"):
        raise RuntimeError(f"the experiment did not start: {answer.status_code} {grid}")
    code = grid.strip("/").split("/")[1]

    def refresh() -> str:
        return http.get(grid).text

    seen = frame_states(answer.text)
    finished = lambda states: sum(s in DONE for k, s in states.items() if k != "__run__") >= 100  # noqa: E731
    ws = base.replace("http", "ws", 1) + f"/ws/experiments/{code}/"
    asyncio.run(watch(ws, ws_headers(http, base), seen, finished, refresh))
    took = time.perf_counter() - started
    completed = sum(s == "completed" for k, s in seen.items() if k != "__run__")
    return {
        "seconds": round(took, 2),
        "completed": completed,
        "peak_rss_mb": round(memory.peak, 1),
        "server_cpu_s": memory.cpu_used(),
    }


def run_from_the_form(base: str, memory: PeakMemory) -> dict[str, float]:
    http = signed_in(base, "bench-form")
    token = csrf(http, f"/models/{ENDPOINT}/")
    memory.reset()
    started, completed = time.perf_counter(), 0
    for steps in STEPS:
        for guidance in GUIDANCE:
            data = {
                "csrfmiddlewaretoken": token,
                "prompt": "a lighthouse at dusk",
                "guidance_scale": str(guidance),
                "num_inference_steps": str(steps),
            }
            answer = http.post(f"/models/{ENDPOINT}/run", data=data)
            detail = str(answer.url.path)
            if not detail.startswith("/generations/"):
                raise RuntimeError(f"a run was refused: {answer.status_code} {answer.text[:200]}")
            code = detail.strip("/").split("/")[1]
            seen = frame_states(answer.text)
            ws = base.replace("http", "ws", 1) + f"/ws/generations/{code}/"

            def refresh(url: str = detail) -> str:
                return http.get(url).text

            done = lambda states: states.get("__run__") in DONE  # noqa: E731
            asyncio.run(watch(ws, ws_headers(http, base), seen, done, refresh))
            completed += seen["__run__"] == "completed"
    took = time.perf_counter() - started
    return {
        "seconds": round(took, 2),
        "completed": completed,
        "peak_rss_mb": round(memory.peak, 1),
        "server_cpu_s": memory.cpu_used(),
    }


def run() -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    from playground.lib import liveserver

    data_dir = Path(tempfile.mkdtemp(prefix="playground-bench-sweep-"))
    database = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    settings = {
        "LOCALFAL_SPEED": SPEED,
        "LOCALFAL_RUNNERS": RUNNERS,
        "LOCALFAL_KEY": secrets.token_urlsafe(24),
        "RUNNER_EMBEDDED": "1",
    }
    env = liveserver.process_env(data_dir, database_url=database, **settings)
    liveserver.manage("migrate", "--noinput", "-v", "0", env=env)
    liveserver.manage("import_schemas", "--bundled", "-v", "0", env=env)
    make_people(env)
    server = liveserver.start(data_dir, database_url=database, **settings)
    memory = PeakMemory(server.process.pid)
    report: dict[str, object] = {"setting": f"LOCALFAL_SPEED {SPEED}, {RUNNERS} emulator runners"}
    try:
        report["server_rss_mb_idle"] = round(memory.reset(), 1)
        report["experiment_10x10"] = run_experiment(server.url, memory)
        report["form_100_sequential"] = run_from_the_form(server.url, memory)
        report["server_rss_mb_after"] = round(rss_mb(server.process.pid), 1)
        sweep, form = report["experiment_10x10"], report["form_100_sequential"]
        report["speedup"] = round(form["seconds"] / sweep["seconds"], 1)
    finally:
        memory.stop()
        server.stop()
    for key, value in report.items():
        print(f"sweep {key:30} {value}", flush=True)
    return {"experiment_sweep_10x10_live": report}


if __name__ == "__main__":
    run()
