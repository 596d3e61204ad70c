"""With REDIS_URL every process counts in the same Redis: the issue's proof, two daphne
processes, where the 101st request of a signed-in person within a minute is refused by
whichever process it reaches."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx
import pytest
import redis

from playground.gateway import tokens
from playground.limits import counter
from playground.limits.quotas import Quota
from tests.conftest import _live_server

# A database of its own, flushed first; each pass of `make test` gives its own
# (tests/passes.py), since passes run side by side.
REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_SPARE_DB', '13')}"
UPLOAD = "https://rest.fal.ai/storage/upload/initiate"


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def shared_redis(rate_limits):
    redis.Redis.from_url(REDIS_URL).flushdb()
    rate_limits.REDIS_URL = REDIS_URL
    yield rate_limits
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_sync_and_async_callers_count_in_one_redis_window(shared_redis):
    quota = Quota(3, "user:test-shared")
    counter.hit(quota)
    asyncio.run(counter.ahit(quota))
    counter.hit(quota)

    with pytest.raises(counter.Limited) as refused:
        asyncio.run(counter.ahit(quota))
    assert 1 <= refused.value.retry_after <= 60
    with pytest.raises(counter.Limited):
        counter.hit(quota)
    counter.reset()  # as tests do between them, on Redis too
    counter.hit(quota)


@pytest.mark.django_db(transaction=True)
def test_the_101st_call_of_a_minute_gets_429_on_either_process(
    django_db_setup, django_db_blocker, tmp_path, alice
):
    redis.Redis.from_url(REDIS_URL).flushdb()
    secret = tokens.mint(alice, label="two processes").secret
    env = {"REDIS_URL": REDIS_URL, "RATE_LIMITS_ENABLED": "1", "LOCALFAL_SPEED": "0.01",
           "RUNNER_EMBEDDED": "0"}  # fmt: skip
    headers = {"Authorization": f"Key {secret}", "x-fal-target-url": UPLOAD}
    body = {"content_type": "image/png", "file_name": "a.png"}
    try:
        with (
            _live_server(django_db_blocker, tmp_path / "a", name="a", **env) as one,
            _live_server(django_db_blocker, tmp_path / "b", name="b", **env) as two,
        ):
            servers = [one.url, two.url]
            with httpx.Client(timeout=30) as client:
                codes = [
                    client.post(
                        f"{servers[n % 2]}/api/fal/proxy", json=body, headers=headers
                    ).status_code
                    for n in range(100)
                ]
                refusals = [client.post(f"{url}/api/fal/proxy", json=body, headers=headers)
                            for url in servers]  # fmt: skip
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()

    assert codes == [200] * 100
    for refused in refusals:
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 60
        assert refused.json()["detail"] == (
            f"Rate limit reached: 100 requests a minute. Try again in {wait} s."
        )
