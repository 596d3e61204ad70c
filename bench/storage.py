"""Storage bench: the gallery's first page and media downloads with media on local disk
versus in an S3-compatible bucket, in the same run.

The bucket is moto's server on this machine (playground/storage/localserver.py), a
Python stand-in for S3: its figures are an upper bound on what the app adds, and a real
store (S3, MinIO, R2) on the same network answers faster. In-process on SQLite through
Django's test client (view, ORM, templates, storage; no socket to the browser):

1. The gallery's first page (24 cards of 60 generations): files have the app's own
   addresses (`/media/...`) on both stores, so the page never asks the store anything.
2. A thumbnail (a few KB: one HEAD and one GET on the bucket), a 1 MB picture and a
   20 MB video downloaded whole through the access-checked media view (streamed).
Run: `python bench/storage.py`. Figures are printed and merged into
bench/results/latest.json. Nothing is asserted.
"""

from __future__ import annotations

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
DATA = Path(tempfile.mkdtemp(prefix="playground-bench-storage-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'bench.sqlite3'}")
os.environ["DATA_DIR"] = str(DATA)
os.environ.pop("STORAGE_URL", None)  # this bench chooses the store itself, twice

import django  # noqa: E402

django.setup()

GENERATIONS = 60
REPEATS = 20
BIG_REPEATS = 5
MB = 1024 * 1024


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def png(side: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((side, side), 64).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def stored(generation, name: str, data: bytes, kind: str, content_type: str):
    from django.core.files.base import ContentFile

    from playground.jobs.models import MediaAsset

    asset = MediaAsset(generation=generation, kind=kind, content_type=content_type)
    asset.bytes, asset.sha256, asset.source_url = len(data), "0" * 64, "https://x/out"
    asset.file.save(name, ContentFile(data), save=False)
    asset.thumbnail.save("00-thumb.jpg", ContentFile(data[:4096]), save=False)
    asset.save()
    return asset


def populate(person, flux) -> dict:
    """GENERATIONS finished runs with a picture each; the last two a 1 MB picture and a
    20 MB video. Returns the addresses to download."""
    from playground.jobs.actions import submit_generation
    from playground.jobs.models import Status

    picture = png(64)
    assets = {}
    for n in range(GENERATIONS):
        generation = submit_generation(
            user=person, endpoint=flux, input={"prompt": f"fox {n}"}, mode="queue"
        )
        generation.status, generation.media_kind = Status.COMPLETED, "image"
        generation.save()
        if n == GENERATIONS - 2:
            assets["picture_1mb"] = stored(generation, "00-a.png", png(600), "image", "image/png")
        elif n == GENERATIONS - 1:
            video = os.urandom(20 * MB)
            assets["video_20mb"] = stored(generation, "00-v.mp4", video, "video", "video/mp4")
        else:
            assets["thumbnail"] = stored(generation, "00-p.png", picture, "image", "image/png")
    return {
        "thumbnail": assets["thumbnail"].thumbnail.url,
        "picture_1mb": assets["picture_1mb"].file.url,
        "video_20mb": assets["video_20mb"].file.url,
    }


def download(client, url: str) -> int:
    from asgiref.sync import async_to_sync

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)

    async def drain() -> int:
        return sum([len(chunk) async for chunk in response.streaming_content])

    return async_to_sync(drain)()


ROUNDS = 3


def measure(client, urls: dict) -> dict[str, list[float]]:
    """One round of every figure, in ms: the gallery page, then each download."""
    client.get("/gallery/")  # warm: templates, connections
    samples = {
        "gallery_first_page": [timed(lambda: client.get("/gallery/")) for _ in range(REPEATS)]
    }
    for name, url in urls.items():
        download(client, url)
        repeats = BIG_REPEATS if name == "video_20mb" else REPEATS
        samples[f"{name}_download"] = [
            timed(lambda u=url: download(client, u)) for _ in range(repeats)
        ]
    return samples


def main() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    from playground.catalog.models import Endpoint
    from playground.storage import localserver
    from playground.storage.config import default_storage_from_env

    setup_test_environment()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.RATE_LIMITS_ENABLED = False
    call_command("migrate", verbosity=0)
    call_command("import_schemas", "--bundled", verbosity=0)
    flux = Endpoint.objects.get(endpoint_id="fal-ai/flux/schnell")
    report: dict[str, object] = {}

    def record(key: str, value: object) -> None:
        report[key] = value
        print(f"{key:55} {value}", flush=True)

    server = localserver.start(DATA / "moto.log")
    try:
        os.environ.update(localserver.CREDENTIALS)
        server.create_bucket("bench")
        bucket = default_storage_from_env({"STORAGE_URL": server.storage_url("bench")})
        stores = {
            "local": default_storage_from_env({}),
            "s3": bucket,
        }
        prepared = {}
        for label, default in stores.items():
            with override_settings(STORAGES={**settings.STORAGES, "default": default}):
                person = get_user_model().objects.create_user(f"bench-{label}", password="pw")
                client = Client()
                client.force_login(person)
                prepared[label] = (default, client, populate(person, flux))
        # Rounds alternate between the stores, so a busy moment of the machine weighs on both.
        samples: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            for label, (default, client, urls) in prepared.items():
                with override_settings(STORAGES={**settings.STORAGES, "default": default}):
                    for name, values in measure(client, urls).items():
                        samples.setdefault(f"storage_{label}_{name}_p50_ms", []).extend(values)
        for key in sorted(samples, key=lambda k: (k.split("_", 2)[2], k)):  # pairs together
            record(key, round(statistics.median(samples[key]), 2))
    finally:
        server.stop()

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    merged = json.loads(latest.read_text()) if latest.exists() else {}
    merged.update(report)
    merged["storage_when"] = datetime.now(UTC).isoformat()
    latest.write_text(json.dumps(merged, indent=2))


if __name__ == "__main__":
    main()
