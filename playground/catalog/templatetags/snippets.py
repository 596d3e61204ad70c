"""Ready-to-run code for an endpoint and an input: cURL, Python and JavaScript.

The key is always read from the environment (`$FAL_KEY`, `os.environ`, `process.env`):
these snippets are shown in a browser and copied around, so no real key is ever written.
"""

from __future__ import annotations

import json
import re
from typing import Any

QUEUE_URL = "https://queue.fal.run"
INDENT = "    "
_JS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def code_samples(endpoint_id: str, arguments: dict[str, Any]) -> dict[str, str]:
    return {
        "curl": curl(endpoint_id, arguments),
        "python": python(endpoint_id, arguments),
        "javascript": javascript(endpoint_id, arguments),
    }


def curl(endpoint_id: str, arguments: dict[str, Any]) -> str:
    body = json.dumps(arguments, indent=2, ensure_ascii=False).replace("'", "'\\''")
    return (
        f"curl --request POST \\\n"
        f"  --url {QUEUE_URL}/{endpoint_id} \\\n"
        f'  --header "Authorization: Key $FAL_KEY" \\\n'
        f'  --header "Content-Type: application/json" \\\n'
        f"  --data '{body}'\n"
    )


def python(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        "import fal_client\n"
        "\n"
        '# fal_client reads your key from os.environ["FAL_KEY"].\n'
        "\n"
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


def javascript(endpoint_id: str, arguments: dict[str, Any]) -> str:
    return (
        'import { fal } from "@fal-ai/client";\n'
        "\n"
        "// Server-side only: never ship your key to a browser.\n"
        "fal.config({ credentials: process.env.FAL_KEY });\n"
        "\n"
        f"const result = await fal.subscribe({json.dumps(endpoint_id)}, {{\n"
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
