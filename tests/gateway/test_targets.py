"""The gateway forwards only fal's own URLs: exact hosts, https on 443, documented paths."""

from __future__ import annotations

import pytest

from playground.gateway.targets import Host, Kind, TargetRefused, parse

ALLOWED = [
    ("https://fal.run/fal-ai/flux/dev", Host.RUN, Kind.RUN, "fal-ai/flux/dev"),
    ("https://fal.run/fal-ai/any-llm/stream", Host.RUN, Kind.RUN, "fal-ai/any-llm/stream"),
    ("https://queue.fal.run/fal-ai/flux/dev", Host.QUEUE, Kind.SUBMIT, "fal-ai/flux/dev"),
    ("https://QUEUE.fal.run:443/fal-ai/flux/dev", Host.QUEUE, Kind.SUBMIT, "fal-ai/flux/dev"),
    ("https://queue.fal.run/fal-ai/flux/dev?fal_webhook=https://x.example/h", Host.QUEUE,
     Kind.SUBMIT, "fal-ai/flux/dev"),
    ("https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3", Host.REST,
     Kind.UPLOAD, ""),
    ("https://rest.fal.ai/storage/upload/initiate-multipart", Host.REST, Kind.UPLOAD, ""),
    ("https://rest.fal.ai/tokens/", Host.REST, Kind.TOKEN, ""),
    ("https://ws.fal.run/fal-ai/fast-lcm/realtime", Host.WS, Kind.RUN, "fal-ai/fast-lcm/realtime"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "host", "kind", "endpoint"), ALLOWED)
def test_fal_urls_pass(url, host, kind, endpoint):
    target = parse(url)
    assert (target.host, target.kind, target.endpoint_id) == (host, kind, endpoint)


@pytest.mark.parametrize(
    ("suffix", "action"),
    [("/status", "status"), ("/status/stream", "stream"), ("/cancel", "cancel"), ("", "result")],
)
def test_a_request_url_names_its_app_id_and_action(suffix, action):
    target = parse(f"https://queue.fal.run/fal-ai/flux/requests/9f1c-42{suffix}?logs=1")
    assert target.kind is Kind.REQUEST
    assert (target.endpoint_id, target.request_id, target.action) == (
        "fal-ai/flux",
        "9f1c-42",
        action,
    )
    assert target.query == "logs=1"


# At least 40 targets an attacker might try; every one is refused before any connection.
HOSTILE = [
    # other hosts and look-alikes
    "https://example.com/fal-ai/flux/dev",
    "https://fal.run.evil.example/fal-ai/flux/dev",
    "https://evilfal.run/fal-ai/flux/dev",
    "https://fal.run./fal-ai/flux/dev",
    "https://xn--fal-run.example/fal-ai/flux/dev",
    "https://fal.ai/fal-ai/flux/dev",
    "https://v3.fal.media/files/x.png",
    "https://rest.alpha.fal.ai/tokens/",
    "https://localhost/fal-ai/flux/dev",
    "https://\u017fal.run/fal-ai/flux/dev",
    "https://fal\u3002run/fal-ai/flux/dev",
    # userinfo
    "https://fal.run@127.0.0.1/fal-ai/flux/dev",
    "https://user:pass@fal.run/fal-ai/flux/dev",
    "https://fal.run:443@evil.example/fal-ai/flux/dev",
    # ports
    "https://fal.run:8443/fal-ai/flux/dev",
    "https://fal.run:80/fal-ai/flux/dev",
    "https://fal.run:0/fal-ai/flux/dev",
    "https://fal.run:99999/fal-ai/flux/dev",
    "https://fal.run:/fal-ai/flux/dev",
    # IP literals in every notation
    "https://127.0.0.1/fal-ai/flux/dev",
    "https://2130706433/fal-ai/flux/dev",
    "https://0x7f000001/fal-ai/flux/dev",
    "https://0177.0.0.1/fal-ai/flux/dev",
    "https://127.1/fal-ai/flux/dev",
    "https://[::1]/fal-ai/flux/dev",
    "https://[::ffff:127.0.0.1]/fal-ai/flux/dev",
    "https://169.254.169.254/latest/meta-data",
    "https://[fe80::1%25eth0]/fal-ai/flux/dev",
    # schemes
    "http://fal.run/fal-ai/flux/dev",
    "ws://fal.run/fal-ai/flux/dev",
    "wss://fal.run/fal-ai/flux/realtime",
    "file:///etc/passwd",
    "gopher://fal.run/fal-ai/flux/dev",
    "//fal.run/fal-ai/flux/dev",
    "fal.run/fal-ai/flux/dev",
    "javascript:alert(1)",
    # encodings and path tricks
    "https://fal.run/fal-ai/flux/%2e%2e/%2e%2e/admin",
    "https://fal.run/fal-ai/../../etc/passwd",
    "https://fal.run/fal-ai/flux/./dev",
    "https://fal.run//fal-ai/flux/dev",
    "https://fal.run/fal-ai%2Fflux/dev",
    "https://fal%2Erun/fal-ai/flux/dev",
    "https://fal.run/fal-ai",
    "https://fal.run/",
    "https://fal.run",
    "https://rest.fal.ai/storage/upload/initiate/../../admin",
    "https://rest.fal.ai/v1/keys",
    "https://queue.fal.run/fal-ai/flux/requests/../../x/status",
    "https://fal.run/fal-ai/flux/requests/abc/status",
    # CR/LF, spaces, backslashes, fragments, non-ASCII
    "https://fal.run/fal-ai/flux/dev\r\nHost: evil.example",
    "https://fal.run/fal-ai/flux/dev%0d%0aX: y",
    "https://fal.run/fal-ai/flux/dev?x=1\r\n",
    "https://fal.run\\@evil.example/fal-ai/flux/dev",
    "https:\\\\fal.run\\fal-ai\\flux\\dev",
    "https://evil.example\\.fal.run/fal-ai/flux/dev",
    "https://fal.run/fal-ai/flux/dev#@evil.example",
    "https://fal.run/fal-ai/flux/dev ",
    " https://fal.run/fal-ai/flux/dev",
    "https://fal.run/fal-ai/flüx/dev",
    "https://fal.run/fal-ai/flux/dev?q=<script>",
    "",
    "https://" + "a" * 3000,
]


def test_the_hostile_list_is_long_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_targets_are_refused_with_a_4xx(url):
    with pytest.raises(TargetRefused) as refused:
        parse(url)
    assert refused.value.status in (400, 403)
    assert str(refused.value)


def test_a_missing_target_says_where_to_put_it():
    with pytest.raises(TargetRefused) as refused:
        parse(None)
    assert refused.value.status == 400
    assert "x-fal-target-url" in str(refused.value)
