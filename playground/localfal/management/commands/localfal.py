from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from playground.lib.limits import raise_open_file_limit


class Command(BaseCommand):
    help = "Run the fal emulator on its own (fal's hosts under http://HOST:PORT/localfal/)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--runners", type=int, help="concurrent model runners")
        parser.add_argument("--speed", type=float, help="duration multiplier (0.01 = fast)")

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        env = {**os.environ, "ROOT_URLCONF": "playground.localfal.standalone_urls"}
        env["LOCALFAL_ENABLED"] = "1"
        env["RUNNER_EMBEDDED"] = "0"  # the emulator alone runs no generations
        if options.get("runners"):
            env["LOCALFAL_RUNNERS"] = str(options["runners"])
        if options.get("speed") is not None:
            env["LOCALFAL_SPEED"] = str(options["speed"])
        base = f"http://{host}:{port}/localfal"
        self.stdout.write(f"fal emulator on {base}  (run: {base}/run, queue: {base}/queue)")
        self.stdout.write(f"it accepts one key: {self._key_source()}")
        self.stdout.flush()
        raise_open_file_limit()  # inherited by the daphne that replaces this process
        argv = [sys.executable, "-m", "daphne", "-b", host, "-p", str(port)]
        os.execvpe(sys.executable, [*argv, "playground.asgi:application"], env)

    def _key_source(self) -> str:
        """Where the key is (never the key itself: terminals end up in logs and screenshots)."""
        if settings.LOCALFAL_KEY_FROM_ENV:
            return "LOCALFAL_KEY from the environment"
        return f"the one in {settings.DATA_DIR / 'localfal_key'} (or set LOCALFAL_KEY)"
