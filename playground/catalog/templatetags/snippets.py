"""Ready-to-run code for an endpoint and an input: cURL, Python and JavaScript, for the
way the person chose to run it (queue, sync run or stream).

The key is always read from the environment (`$FAL_KEY`, `os.environ`, `process.env`):
these snippets are shown in a browser and copied around, so no real key is ever written.
An input URL that fal.ai could not fetch (a path on this server, localhost, a private
address) gets a note at the top of every snippet.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any
from urllib.parse import urlsplit

from playground.lib.egress import is_public

QUEUE_URL = "https://queue.fal.run"
RUN_URL = "https://fal.run"
INDENT = "    "
_JS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# Names no public DNS answers for: only this machine or its network can reach them.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def code_samples(
    endpoint_id: str,
    arguments: dict[str, Any],
    *,
    mode: str = "queue",
    own_hosts: Collection[str] = (),
) -> dict[str, str]:
    """The three snippets for `mode` ("queue", "run" or "stream"; anything else: queue).
    `own_hosts`: this server's host names, whose URLs fal.ai cannot fetch either (our
    files need a signed-in person)."""
    builders = MODES.get(mode, MODES["queue"])
    local = local_only_urls(arguments, own_hosts)
    return {
        lang: _local_note(local, lang) + build(endpoint_id, arguments)
        for lang, build in builders.items()
    }


def curl(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return _curl(f"{QUEUE_URL}/{endpoint_id}", arguments)


def curl_run(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return _curl(f"{RUN_URL}/{endpoint_id}", arguments)


def curl_stream(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return _curl(f"{RUN_URL}/{endpoint_id}/stream", arguments, stream=True)


def _curl(url: str, arguments: dict[str, Any], *, stream: bool = False) -> str:
    body = json.dumps(arguments, indent=2, ensure_ascii=False).replace("'", "'\\''")
    return (
        f"curl {'--no-buffer ' if stream else ''}--request POST \\\n"
        f"  --url {url} \\\n"
        f'  --header "Authorization: Key $FAL_KEY" \\\n'
        + ('  --header "Accept: text/event-stream" \\\n' if stream else "")
        + f'  --header "Content-Type: application/json" \\\n'
        f"  --data '{body}'\n"
    )


PY_HEAD = 'import fal_client\n\n# fal_client reads your key from os.environ["FAL_KEY"].\n'


def python(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        PY_HEAD + "\n"
        "\n"
        "def on_queue_update(update):\n"
        "    if isinstance(update, fal_client.InProgress):\n"
        "        for log in update.logs:\n"
        '            print(log["message"])\n'
        "\n"
        "\n"
        "result = fal_client.subscribe(\n"
        f"    {json.dumps(endpoint_id)},\n"
        f"    arguments={python_literal(arguments, 1)},\n"
        "    with_logs=True,\n"
        "    on_queue_update=on_queue_update,\n"
        ")\n"
        "print(result)\n"
    )


def python_run(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        PY_HEAD + "\n"
        "result = fal_client.run(\n"
        f"    {json.dumps(endpoint_id)},\n"
        f"    arguments={python_literal(arguments, 1)},\n"
        ")\n"
        "print(result)\n"
    )


def python_stream(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        PY_HEAD + "\n"
        "stream = fal_client.stream(\n"
        f"    {json.dumps(endpoint_id)},\n"
        f"    arguments={python_literal(arguments, 1)},\n"
        ")\n"
        "for event in stream:\n"
        "    print(event)\n"
    )


JS_HEAD = (
    'import { fal } from "@fal-ai/client";\n'
    "\n"
    "// Server-side only: never ship your key to a browser.\n"
    "fal.config({ credentials: process.env.FAL_KEY });\n"
    "\n"
)


def javascript(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        JS_HEAD + f"const result = await fal.subscribe({json.dumps(endpoint_id)}, {{\n"
        f"  input: {js_literal(arguments, 1)},\n"
        "  logs: true,\n"
        "  onQueueUpdate: (update) => {\n"
        '    if (update.status === "IN_PROGRESS") {\n'
        "      update.logs.map((log) => log.message).forEach(console.log);\n"
        "    }\n"
        "  },\n"
        "});\n"
        "console.log(result.data);\n"
    )


def javascript_run(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        JS_HEAD + f"const result = await fal.run({json.dumps(endpoint_id)}, {{\n"
        f"  input: {js_literal(arguments, 1)},\n"
        "});\n"
        "console.log(result.data);\n"
    )


def javascript_stream(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        JS_HEAD + f"const stream = await fal.stream({json.dumps(endpoint_id)}, {{\n"
        f"  input: {js_literal(arguments, 1)},\n"
        "});\n"
        "for await (const event of stream) {\n"
        "  console.log(event);\n"
        "}\n"
        "console.log(await stream.done());\n"
    )


Builder = Callable[[str, dict[str, Any]], str]
MODES: dict[str, dict[str, Builder]] = {
    "queue": {"curl": curl, "python": python, "javascript": javascript},
    "run": {"curl": curl_run, "python": python_run, "javascript": javascript_run},
    "stream": {"curl": curl_stream, "python": python_stream, "javascript": javascript_stream},
}


# ---- URLs fal.ai cannot fetch ------------------------------------------------------------
def local_only_urls(value: Any, own_hosts: Collection[str] = ()) -> list[tuple[str, str]]:
    """(input path, URL) of every string in `value` that only this server or its network
    can reach; a data: URL or a public address is fine."""
    hosts = {host.lower() for host in own_hosts}
    return [(path, text) for path, text in _strings(value, "") if _is_local_only(text, hosts)]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


def _is_local_only(text: str, own_hosts: Collection[str]) -> bool:
    text = text.strip()
    if text.startswith("/") and not text.startswith("//"):
        return True  # a path on this server
    if not text.lower().startswith(("http://", "https://")):
        return False
    try:
        host = (urlsplit(text).hostname or "").lower()
    except ValueError:
        return False
    if host in own_hosts or host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        return True
    try:
        return not is_public(str(ipaddress.ip_address(host)))
    except ValueError:
        return False  # a public-looking name: not resolved here (this runs as people type)


UPLOAD_HINTS = {
    "curl": "upload the file to fal storage (or any public host) and use that URL",
    "python": "upload it with fal_client.upload_file(path) and use the URL it returns",
    "javascript": "upload it with await fal.storage.upload(file) and use the URL it returns",
}


def _local_note(local: list[tuple[str, str]], lang: str) -> str:
    if not local:
        return ""
    mark = "//" if lang == "javascript" else "#"
    names = ", ".join(path or "input" for path, _ in local[:5])
    verb = "points" if len(local) == 1 else "point"
    return (
        f"{mark} Warning: {names} {verb} at this server or a private address,\n"
        f"{mark} which fal.ai cannot fetch. Before running this code,\n"
        f"{mark} {UPLOAD_HINTS[lang]}.\n\n"
    )


def python_literal(value: Any, depth: int = 0) -> str:
    """Like json.dumps(indent=4), but True/False/None and trailing commas, as black writes."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))}: {python_literal(v, depth + 1)}" for k, v in value.items()]
        return _block("{", items, "}", depth, INDENT)
    if isinstance(value, list):
        return _block("[", [python_literal(v, depth + 1) for v in value], "]", depth, INDENT)
    return json.dumps(value, ensure_ascii=False)


def js_literal(value: Any, depth: int = 0) -> str:
    """A JavaScript object literal: bare keys where they are identifiers, 2-space indents."""
    if isinstance(value, dict):
        items = [f"{_js_key(str(k))}: {js_literal(v, depth + 1)}" for k, v in value.items()]
        return _block("{", items, "}", depth, "  ")
    if isinstance(value, list):
        return _block("[", [js_literal(v, depth + 1) for v in value], "]", depth, "  ")
    return json.dumps(value, ensure_ascii=False)


def _js_key(key: str) -> str:
    return key if _JS_IDENTIFIER.match(key) else json.dumps(key)


def _block(open_: str, items: list[str], close: str, depth: int, indent: str) -> str:
    if not items:
        return open_ + close
    inner = indent * (depth + 1)
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{open_}\n{body}{indent * depth}{close}"
