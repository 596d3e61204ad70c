"""Realtime bench: frames per second and added latency of our relay, 512x512 JPEG frames.

In the same run, against the same emulator (`manage.py localfal`, its own process):
- direct: a fal-style client (token from /rest/tokens/, msgpack over the emulator's
  realtime WebSocket) sends a frame, waits for its answer, sends the next;
- relay: a browser-style client does the same through the web process's RealtimeConsumer
  (/ws/realtime/<id>/: session cookie, our frame format), which relays to the emulator;
- relay, as the browser sends: up to two frames out at once (the page's own flow control).
Rounds alternate direct and relay so drift hits both alike. Added latency = relay p50 minus
direct p50. Budget (DESIGN.md): >= 30 fps, added p50 <= 3 ms.
Run: `python bench/realtime.py` (or `make bench`). Figures are printed and merged into
bench/results/latest.json. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import base64
import io
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
DATA = Path(tempfile.mkdtemp(prefix="playground-bench-rt-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'bench.sqlite3'}")
os.environ["DATA_DIR"] = str(DATA)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import msgpack  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from playground.lib import liveserver  # noqa: E402
from playground.realtime.frames import pack_input, unpack_result  # noqa: E402

ENDPOINT = "fal-ai/lcm-sd15-i2i"
PROMPT = "a watercolour harbour at dawn"
FRAMES = int(os.environ.get("BENCH_RT_FRAMES", "200"))  # per round and client
ROUNDS = int(os.environ.get("BENCH_RT_ROUNDS", "3"))
WARMUP = 20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_emulator() -> tuple[str, object]:
    """The emulator alone (`manage.py localfal`), so the relay's own work is what differs."""
    port = liveserver.free_port()
    env = liveserver.process_env(DATA)
    args = [sys.executable, "manage.py", "localfal", "--port", str(port)]
    process = liveserver.spawn(args, env, DATA / "emulator.log")
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return f"http://127.0.0.1:{port}/localfal", process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the emulator did not come up")


def make_user_and_cookie(server_url: str) -> dict[str, str]:
    """A signed-in browser's cookies: the relay serves logged-in people only."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user, _ = get_user_model().objects.get_or_create(username="bench-rt")
    user.password = make_password("bench-pass-123", hasher="pbkdf2_sha256")
    user.save()
    with httpx.Client(base_url=server_url) as client:
        client.get("/accounts/login/")
        form = {"username": "bench-rt", "password": "bench-pass-123"}
        form["csrfmiddlewaretoken"] = client.cookies["csrftoken"]
        client.post("/accounts/login/", data=form, headers={"Referer": f"{server_url}/"})
        return dict(client.cookies)


def pictures(count: int = 24) -> list[bytes]:
    """512x512 JPEGs of a moving stroke, as a drawing or a webcam would send."""
    frames = []
    for i in range(count):
        img = Image.new("RGB", (512, 512), (235, 240, 248))
        draw = ImageDraw.Draw(img)
        draw.ellipse((40 + i * 12, 120, 240 + i * 12, 320), fill=(229, 72, 77))
        draw.line((0, 400 - i * 5, 512, 300 + i * 4), fill=(48, 164, 108), width=30)
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", quality=85)
        frames.append(buffer.getvalue())
    return frames


def origin_of(url: str) -> str:
    # Both servers sit behind the site's Origin check (see playground/routing.py).
    return url.split("/localfal")[0].replace("ws://", "http://")


async def direct(emulator: str, jpegs: list[bytes], count: int) -> list[float]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{emulator}/rest/tokens/",
            json={"allowed_apps": ["lcm-sd15-i2i"], "token_expiration": 300},
            headers={"Authorization": f"Key {liveserver.install_key()}"},
        )
    token = response.json()
    ws_base = emulator.replace("http://", "ws://", 1)
    url = f"{ws_base}/run/{ENDPOINT}/realtime?fal_jwt_token={token}"
    uris = [f"data:image/jpeg;base64,{base64.b64encode(j).decode()}" for j in jpegs]
    times = []
    async with connect(url, origin=origin_of(emulator), max_size=None, compression=None) as ws:
        for i in range(count + WARMUP):
            started = time.perf_counter()
            payload = {"prompt": PROMPT, "image_url": uris[i % len(uris)], "seed": 1}
            # Encoding is the client's work in both paths: inside the timing for both.
            await ws.send(msgpack.packb(payload, use_bin_type=True))
            while isinstance(message := await ws.recv(), str):
                pass  # x-fal-message timings
            msgpack.unpackb(message)
            if i >= WARMUP:
                times.append((time.perf_counter() - started) * 1000)
    return times


async def open_relay(server: str, cookies: dict[str, str]):
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    url = f"{server.replace('http://', 'ws://', 1)}/ws/realtime/{ENDPOINT}/"
    ws = await connect(
        url,
        origin=server,
        additional_headers={"Cookie": cookie},
        max_size=None,
        compression=None,
    )
    fields = [["prompt", PROMPT], ["seed", "1"]]
    await ws.send(json.dumps({"type": "params", "fields": fields}))
    while True:
        message = await ws.recv()
        if isinstance(message, str) and json.loads(message)["type"] == "valid":
            return ws


async def relay(server: str, cookies: dict[str, str], jpegs: list[bytes], count: int):
    ws = await open_relay(server, cookies)
    times = []
    try:
        for i in range(count + WARMUP):
            started = time.perf_counter()
            await ws.send(pack_input(i + 1, jpegs[i % len(jpegs)]))
            while True:
                message = await ws.recv()
                if isinstance(message, bytes):
                    header, _ = unpack_result(message)
                    if header["seq"] == i + 1:
                        break
                elif json.loads(message)["type"] == "error":
                    raise RuntimeError(message)
            if i >= WARMUP:
                times.append((time.perf_counter() - started) * 1000)
    finally:
        await ws.close()
    return times


async def relay_as_browser(server: str, cookies: dict[str, str], jpegs: list[bytes], count: int):
    """Up to two frames out, as static/js/realtime.js sends: results per second."""
    ws = await open_relay(server, cookies)
    sent = answered = dropped = 0
    out: set[int] = set()
    started = time.perf_counter()
    try:
        while answered < count:
            while len(out) < 2 and sent < count + 2:
                sent += 1
                out.add(sent)
                await ws.send(pack_input(sent, jpegs[sent % len(jpegs)]))
            message = await ws.recv()
            if isinstance(message, bytes):
                out.discard(unpack_result(message)[0]["seq"])
                answered += 1
            else:
                data = json.loads(message)
                if data["type"] in ("dropped", "error") and "seq" in data:
                    out.discard(data["seq"])
                    dropped += 1
    finally:
        await ws.close()
    return answered / (time.perf_counter() - started), dropped


def stats(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(times, 0.5), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "fps": round(1000 / statistics.fmean(times), 1),
        "n": len(times),
    }


async def measure(emulator: str, server: str, cookies: dict[str, str]) -> dict[str, object]:
    jpegs = pictures()
    direct_times: list[float] = []
    relay_times: list[float] = []
    for _ in range(ROUNDS):
        direct_times += await direct(emulator, jpegs, FRAMES)
        relay_times += await relay(server, cookies, jpegs, FRAMES)
    browser_fps, dropped = await relay_as_browser(server, cookies, jpegs, FRAMES)
    report: dict[str, object] = {
        "frame": f"512x512 JPEG q85, {statistics.fmean(map(len, jpegs)) / 1024:.1f} KiB mean",
        "direct_to_emulator": stats(direct_times),
        "through_relay": stats(relay_times),
        "added_latency_p50_ms": round(
            percentile(relay_times, 0.5) - percentile(direct_times, 0.5), 2
        ),
        "added_latency_p99_ms": round(
            percentile(relay_times, 0.99) - percentile(direct_times, 0.99), 2
        ),
        "relay_fps_browser_style_2_out": round(browser_fps, 1),
        "browser_style_frames_replaced": dropped,
    }
    return report


def main() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    emulator, emu_process = start_emulator()
    server = liveserver.start(
        DATA, database_url=os.environ["DATABASE_URL"], LOCALFAL_URL=emulator, name="web"
    )
    try:
        cookies = make_user_and_cookie(server.url)
        report = asyncio.run(measure(emulator, server.url, cookies))
    finally:
        server.stop()
        emu_process.terminate()
    for key, value in report.items():
        print(f"{key:35} {value}", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged["realtime"] = {"when": datetime.now(UTC).isoformat(), **report}
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
