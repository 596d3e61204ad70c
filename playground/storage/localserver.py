"""A local S3-compatible server (moto's server mode) for the test suite and `bench/`.

`TEST_STORAGE=s3` runs the suite against it (tests/conftest.py), and `bench/storage.py`
measures the object store against local disk with it. moto is a test dependency
(requirements-dev.txt): it is only ever started as a subprocess, never imported here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from playground.lib.liveserver import free_port, stop_process, wait_until_answering

REGION = "us-east-1"
# moto takes any credentials; boto3 only needs some to sign with.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "playground-test",
    "AWS_SECRET_ACCESS_KEY": "playground-test-secret",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class ObjectServer:
    url: str
    process: subprocess.Popen

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        """STORAGE_URL of `bucket` (or of a prefix in it) on this server; the bucket must
        exist (`create_bucket`)."""
        path = f"/{prefix.strip('/')}" if prefix.strip("/") else ""
        query = f"endpoint_url={self.url}&region={REGION}&addressing_style=path"
        return f"s3://{bucket}{path}?{query}"

    def create_bucket(self, bucket: str) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.url, region_name=REGION)
        client.create_bucket(Bucket=bucket)

    def stop(self) -> None:
        stop_process(self.process)


def start(log_path: Path) -> ObjectServer:
    """moto's server on a free local port; raises with its log if it does not answer."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    code = "from moto.server import main; main()"
    args = [sys.executable, "-c", code, "-H", "127.0.0.1", "-p", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            args, env={**os.environ, **CREDENTIALS}, stdout=log, stderr=subprocess.STDOUT
        )
    wait_until_answering(f"{url}/moto-api/", process, log_path, "moto server")
    return ObjectServer(url, process)
