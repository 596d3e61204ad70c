from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from playground.storage.config import LOCAL_BACKEND, S3_BACKEND, default_storage_from_env


def test_without_a_bucket_media_stays_on_local_disk():
    assert default_storage_from_env({}) == {"BACKEND": LOCAL_BACKEND}
    assert default_storage_from_env({"STORAGE_URL": " "}) == {"BACKEND": LOCAL_BACKEND}


def test_a_storage_url_names_bucket_prefix_endpoint_and_region():
    url = "s3://media/studio/one?endpoint_url=https://s3.example.com&region=eu-west-1"

    assert default_storage_from_env({"STORAGE_URL": url}) == {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": "media",
            "location": "studio/one",
            "endpoint_url": "https://s3.example.com",
            "region_name": "eu-west-1",
        },
    }


def test_django_storages_own_variables_work_too():
    env = {
        "AWS_STORAGE_BUCKET_NAME": "media",
        "AWS_S3_ENDPOINT_URL": "http://minio:9000",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_LOCATION": "playground",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }

    assert default_storage_from_env(env)["OPTIONS"] == {
        "bucket_name": "media",
        "endpoint_url": "http://minio:9000",
        "region_name": "us-east-1",
        "location": "playground",
        "addressing_style": "path",
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://bucket.s3.amazonaws.com/", "must look like s3://bucket"),
        ("s3:///prefix", "must look like s3://bucket"),
        ("s3://AKIA:secret@bucket", "must not carry credentials"),
        ("s3://bucket?acl=public-read", "unknown option 'acl'"),
    ],
)
def test_a_wrong_storage_url_stops_the_start_saying_why(url, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        default_storage_from_env({"STORAGE_URL": url})


def test_a_refused_storage_url_never_echoes_its_secret():
    with pytest.raises(ImproperlyConfigured) as refused:
        default_storage_from_env({"STORAGE_URL": "s3://AKIA:hunter2@bucket"})

    assert "hunter2" not in str(refused.value)
