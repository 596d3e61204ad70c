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
        stop_process(self.process)


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
    static_from: Path | None = None,
    **env: str,
) -> LiveServer:
    """Collect static files, start daphne, wait for /healthz; raises with the log on failure.

    `migrate` prepares a fresh database first (bench runs); tests pass their test database.
    `static_from` is a folder `collect_static` filled, linked as this server's static
    files instead of collecting them again (the suite starts dozens of servers).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    full_env = process_env(data_dir, database_url=database_url, **env)
    if migrate:
        manage("migrate", "--noinput", "-v", "0", env=full_env)
    if static_from is None:
        manage("collectstatic", "--noinput", "-v", "0", env=full_env)
    elif not static_root(data_dir).exists():  # a server started again in the same folder
        data_dir.mkdir(parents=True, exist_ok=True)
        static_root(data_dir).symlink_to(static_from, target_is_directory=True)
    log_path = data_dir / f"{name}.log"
    process = spawn([*DAPHNE, "-p", str(port), "playground.asgi:application"], full_env, log_path)
    server = LiveServer(url=url, process=process, log_path=log_path)
    _wait_until_up(server)
    return server


def collect_static(data_dir: Path) -> Path:
    """Run collectstatic once for servers that will share its output (`start(static_from=)`).
    The files do not depend on a server's settings, only on the checkout."""
    manage("collectstatic", "--noinput", "-v", "0", env=process_env(data_dir))
    return static_root(data_dir)


def static_root(data_dir: Path) -> Path:
    """settings.STATIC_ROOT of a product process whose DATA_DIR is `data_dir`."""
    return data_dir / "static"


def _wait_until_up(server: LiveServer) -> None:
    wait_until_answering(f"{server.url}/healthz", server.process, server.log_path, "live server")


def wait_until_answering(
    url: str, process: subprocess.Popen, log_path: Path, what: str, seconds: float = 30
) -> None:
    """Wait until `url` answers at all; stop the process and raise with its log when it
    exits first or never answers. (Helper processes of tests and benches use it too.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    how = "exited" if process.poll() is not None else "did not start"
    stop_process(process)
    raise RuntimeError(f"{what} {how}:\n{log_path.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen) -> None:
    """Ask the process to end; kill it when it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
