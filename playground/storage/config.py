"""Where media lives, from the environment: local disk, or an S3-compatible bucket.

Read by settings.py, so nothing here imports Django's machinery beyond the exception.
Two ways to name a bucket, both optional (local disk when neither is set):

- `STORAGE_URL=s3://bucket/prefix?endpoint_url=https://...&region=eu-west-1`
  (`addressing_style=path|virtual` for servers that need one);
- or django-storages' own names: `AWS_STORAGE_BUCKET_NAME`, `AWS_S3_ENDPOINT_URL`,
  `AWS_S3_REGION_NAME`, `AWS_LOCATION` (prefix), `AWS_S3_ADDRESSING_STYLE`.

Credentials are never part of either: boto3 finds them as it always does
(`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`, a profile, an instance role), so no key
sits in a URL that might be logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "playground.storage.backends.PrivateS3Storage"
_URL_OPTIONS = {
    "endpoint_url": "endpoint_url",
    "region": "region_name",
    "region_name": "region_name",
    "addressing_style": "addressing_style",
}
_ENV_OPTIONS = {
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_LOCATION": "location",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
}


def default_storage_from_env(env: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry for this environment; raises ImproperlyConfigured
    for a STORAGE_URL that names no bucket or carries what we do not understand."""
    url = env.get("STORAGE_URL", "").strip()
    if url:
        return {"BACKEND": S3_BACKEND, "OPTIONS": _options_from_url(url)}
    bucket = env.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if bucket:
        options = {"bucket_name": bucket}
        options.update({key: env[name] for name, key in _ENV_OPTIONS.items() if env.get(name)})
        return {"BACKEND": S3_BACKEND, "OPTIONS": options}
    return {"BACKEND": LOCAL_BACKEND}


def _options_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ImproperlyConfigured(
            "STORAGE_URL must look like s3://bucket[/prefix][?endpoint_url=...&region=...]"
        )
    if parts.username or parts.password:
        raise ImproperlyConfigured(
            "STORAGE_URL must not carry credentials: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or use an instance role)."
        )
    options = {"bucket_name": parts.netloc}
    if parts.path.strip("/"):
        options["location"] = parts.path.strip("/")
    for name, values in parse_qs(parts.query).items():
        if name not in _URL_OPTIONS:
            known = ", ".join(sorted(_URL_OPTIONS))
            raise ImproperlyConfigured(f"STORAGE_URL: unknown option {name!r} (known: {known})")
        options[_URL_OPTIONS[name]] = values[-1]
    return options


def is_object_store(entry: Mapping) -> bool:
    return entry.get("BACKEND") == S3_BACKEND
