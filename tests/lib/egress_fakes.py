"""Stand-ins for DNS and the network in egress tests (no test may reach a real host)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# Public addresses that no test connects to: requests to them go to a Recorder.
PUBLIC = "93.184.216.34"
PUBLIC_TOO = "2606:4700::1111"


class Resolver:
    """A DNS stub: each name answers its next list of addresses (the last one repeats)."""

    def __init__(self, **answers: list[str] | list[list[str]]) -> None:
        self.answers = {
            name.replace("_", "."): (value if isinstance(value[0], list) else [value])
            for name, value in answers.items()
        }
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("no such name")
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


class Recorder:
    """A transport that records where each request connects and answers from a script."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.sent: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.responses.pop(0) if self.responses else httpx.Response(200, content=b"ok")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def addresses(self) -> list[str]:
        return [request.url.host for request in self.sent]


def redirect(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


@contextlib.contextmanager
def loopback_canary() -> Iterator[tuple[int, list[str]]]:
    """Something private on loopback: (port, hits), every GET or POST that reached it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.note()

        def do_POST(self) -> None:
            self.note()

        def note(self) -> None:
            hits.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, hits
    finally:
        server.shutdown()
        server.server_close()
