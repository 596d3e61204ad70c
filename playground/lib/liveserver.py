"""Run the real product (daphne + the ASGI app) in a subprocess on a free port.

Used by the test suite (browser and contract tests) and by `bench/`, so both measure and
test exactly what users run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def localfal(self) -> str:
        return f"{self.url}/localfal"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def process_env(data_dir: Path, *, database_url: str = "", **env: str) -> dict[str, str]:
    """The environment of a product process: production-like, on the given database."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    if database_url:
        full_env["DATABASE_URL"] = database_url
    # The emulator in the child answers only this key: share the caller's, so tests and
    # benches can talk to the emulator (and to a worker's emulator) with the key they know.
    if "LOCALFAL_KEY" not in full_env:
        full_env["LOCALFAL_KEY"] = install_key()
    for name in ("FAL_KEY", "FAL_MODE"):
        full_env.pop(name, None)
    return full_env


def install_key() -> str:
    """The emulator key of this process's settings (the same DATA_DIR gives the same key)."""
    from django.conf import settings

    return settings.LOCALFAL_KEY


def spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start a process of the product (its output goes to `log_path`)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def start(
    data_dir: Path,
    *,
    database_url: str = "",
    migrate: bool = False,
    name: str = "server",
    **env: str,
) -> LiveServer:
    """Collect static files, start daphne, wait for /healthz; raises with the log on failure.

    `migrate` prepares a fresh database first (bench runs); tests pass their test database.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = process_env(data_dir, database_url=database_url, **env)
    if migrate:
        manage("migrate", "--noinput", "-v", "0", env=full_env)
    manage("collectstatic", "--noinput", "-v", "0", env=full_env)
    log_path = data_dir / f"{name}.log"
    process = spawn([*DAPHNE, "-p", str(port), "playground.asgi:application"], full_env, log_path)
    server = LiveServer(url=url, process=process, log_path=log_path)
    _wait_until_up(server)
    return server


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"live server exited:\n{server.log()}")
        try:
            httpx.get(f"{server.url}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"live server did not start:\n{server.log()}")
