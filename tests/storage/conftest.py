"""A bucket of its own for each test that needs media in an object store, whatever the
suite runs on (the local S3-compatible server of `object_store`, tests/conftest.py)."""

from __future__ import annotations

import uuid

import pytest

from playground.storage.config import default_storage_from_env


@pytest.fixture
def bucket(object_store) -> str:
    """STORAGE_URL of a new, empty bucket."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    object_store.create_bucket(name)
    return object_store.storage_url(name)


@pytest.fixture
def s3_media(settings, bucket):
    """Media of this test in its bucket (PrivateS3Storage), as with STORAGE_URL set."""
    default = default_storage_from_env({"STORAGE_URL": bucket})
    settings.STORAGES = {**settings.STORAGES, "default": default}
    return default["OPTIONS"]["bucket_name"]
