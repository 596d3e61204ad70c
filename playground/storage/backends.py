"""An S3-compatible bucket as Django's default storage, kept private.

Two things differ from django-storages' `S3Storage`:

- `url()` is the app's own address (`/media/<name>`), as with local disk. Every file is
  served by the app after its access check (`lib/serving.py`: nosniff, a sandbox CSP,
  downloads for anything not a picture, sound or video), so the bucket is never public
  and a URL copied from a page reaches nothing without the session that may see it.
  `signed_url()` gives a short-lived presigned GET for what must fetch a file itself.
- Files opened for reading stream from the bucket. `S3File` downloads a whole object
  before the first byte is read (into memory, by default); here `read(n)` takes n bytes
  off one ranged GET, and `seek` starts another only when it must.
"""

from __future__ import annotations

import io
from urllib.parse import urljoin

import boto3
import botocore.loaders
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.base import File
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

READ_BUFFER_BYTES = 256 * 1024
# Uploads above 8 MB go in 5 MB parts (S3's smallest), one at a time: a web process
# storing a big file holds one part, not boto3's default of ten 8 MB parts in flight.
UPLOADS = TransferConfig(
    multipart_threshold=8 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, use_threads=False
)
SIGNED_URL_SECONDS = 300


# One loader of botocore's service descriptions for every session: each thread gets a
# session of its own (sessions are not thread-safe), and each would otherwise parse
# S3's JSON models again, ~20 MB a thread (asyncio's thread pool has dozens).
_LOADER = botocore.loaders.create_loader()


class PrivateS3Storage(S3Storage):
    def get_default_settings(self) -> dict:
        defaults = super().get_default_settings()
        # Objects get the bucket's own (private) ACL; names are never silently replaced
        # (Django's usual `_abc123` suffix instead); presigned URLs live minutes, not hours.
        defaults.update(default_acl=None, file_overwrite=False, querystring_auth=True)
        defaults["querystring_expire"] = SIGNED_URL_SECONDS
        defaults["transfer_config"] = UPLOADS
        return defaults

    def _create_session(self) -> boto3.Session:
        core = botocore.session.get_session()
        core.register_component("data_loader", _LOADER)
        if self.session_profile:
            return boto3.Session(profile_name=self.session_profile, botocore_session=core)
        return boto3.Session(
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.security_token,
            botocore_session=core,
        )

    def url(self, name: str, parameters: dict | None = None, expire: int | None = None,
            http_method: str | None = None) -> str:  # fmt: skip
        """The app's URL of a stored file, behind its access check (as FileSystemStorage)."""
        return urljoin(settings.MEDIA_URL, filepath_to_uri(clean_name(name)))

    def signed_url(self, name: str, expire: int = SIGNED_URL_SECONDS) -> str:
        """A presigned GET of the object, valid `expire` seconds, for a fetcher that
        cannot carry our session (never put in a page)."""
        return super().url(name, expire=expire)

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            return super()._open(name, mode)
        return StreamedObject(self, name)


class StreamedObject(File):
    """A stored object open for reading, streamed (`ObjectReader`); reopened from the
    bucket after `close()`, as a local file is from its path."""

    def __init__(self, storage: PrivateS3Storage, name: str) -> None:
        self._key = storage._normalize_name(clean_name(name))
        self._bucket = storage.bucket
        super().__init__(self._reader(), name=name)

    def _reader(self) -> io.BufferedReader:
        reader = ObjectReader(self._bucket.Object(self._key))
        self.size = reader.size  # known from the HEAD: no seek to the end to learn it
        return io.BufferedReader(reader, READ_BUFFER_BYTES)

    def open(self, mode: str | None = None) -> StreamedObject:
        if self.closed:
            self.file = self._reader()
        else:
            self.seek(0)
        return self


class ObjectReader(io.RawIOBase):
    """A seekable, readable view of one object: sequential reads share one GET, a seek
    elsewhere closes it and the next read opens `Range: bytes=<pos>-`. Raises
    FileNotFoundError at once for a missing object, as a local open would."""

    def __init__(self, obj) -> None:  # a boto3 s3.Object
        super().__init__()
        try:
            obj.load()  # HEAD: existence and size
        except ClientError as error:
            if _status(error) == 404:
                raise FileNotFoundError(f"No such object: {obj.key}") from None
            raise
        self.obj, self.size = obj, obj.content_length
        self._position, self._body = 0, None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        position = max(base + offset, 0)
        if position != self._position:
            self._drop_body()
            self._position = position
        return position

    def readinto(self, buffer) -> int:
        if self._position >= self.size:
            return 0
        if self._body is None:
            answer = self.obj.get(Range=f"bytes={self._position}-")
            self._body = answer["Body"]
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
