"""The only code that speaks fal's HTTP protocol (fal-protocol.md §3-§7).

Use one client per task and event loop:

    async with client_from_settings() as fal:
        handle = await fal.submit("fal-ai/flux/dev", {"prompt": "a fox"})
        async for status in fal.stream_status("fal-ai/flux/dev", handle.request_id):
            ...

The httpx transport is injectable so tests and the emulator exercise the same path.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

import httpx
from httpx_sse import aconnect_sse

from playground.fal.endpoints import EndpointId
from playground.fal.errors import (
    FalConnectionError,
    FalError,
    FalHTTPError,
    FalTimeoutError,
    FalURLRefused,
    error_from_response,
)
from playground.fal.retry import RetryPolicy
from playground.fal.types import FalUrls, LogEntry, QueueStatus, RunResult, SubmitResult
from playground.lib import egress

log = logging.getLogger(__name__)
USER_AGENT = "playground-fal/1.0"
MULTIPART_THRESHOLD = 90 * 1024 * 1024
MULTIPART_CHUNK = 10 * 1024 * 1024
RetryHook = Callable[[FalError, int, float], Awaitable[None] | None]


class FalClient:
    def __init__(
        self,
        *,
        key: str | None,
        urls: FalUrls,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_retry: RetryHook | None = None,
        headers: dict[str, str] | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.urls = urls
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        if key:
            headers["Authorization"] = f"Key {key}"
        pool = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._http = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            limits=pool,
        )
        # Signed upload URLs must never see the fal key: a separate, key-less client.
        self._bare = httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(timeout * 4), limits=pool
        )

    def with_retry_hook(self, on_retry: RetryHook | None) -> FalClient:
        """The same connections, another retry hook: one client (and one TLS setup) serves
        many tasks on a loop, each reporting its own retries. Close only the original."""
        derived = copy.copy(self)
        derived._on_retry = on_retry
        return derived

    async def __aenter__(self) -> FalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._bare.aclose()

    # -- queue ----------------------------------------------------------------------------
    async def submit(
        self,
        endpoint_id: str,
        arguments: dict[str, Any],
        *,
        webhook_url: str | None = None,
        priority: str | None = None,
        hint: str | None = None,
        start_timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> SubmitResult:
        endpoint = EndpointId.parse(endpoint_id)
        params = {"fal_webhook": webhook_url} if webhook_url else None
        extra = _queue_headers(priority=priority, hint=hint, start_timeout=start_timeout)
        response = await self._request(
            "POST",
            f"{self.urls.queue}/{endpoint.full}",
            idempotent=False,
            json=arguments,
            params=params,
            headers={**extra, **(headers or {})},
        )
        return SubmitResult.from_json(response.json())

    async def status(self, endpoint_id: str, request_id: str, *, logs: bool = True) -> QueueStatus:
        url = self._request_url(endpoint_id, request_id, "/status")
        response = await self._request("GET", url, params={"logs": int(logs)})
        return QueueStatus.from_json(response.json(), request_id)

    async def stream_status(
        self, endpoint_id: str, request_id: str, *, logs: bool = True
    ) -> AsyncIterator[QueueStatus]:
        """Yield each status event; raises FalConnectionError if the stream ends early.

        Not retried here: callers fall back to polling `status()` on any error.
        """
        url = self._request_url(endpoint_id, request_id, "/status/stream")
        seen: list[LogEntry] = []
        async for data in self._sse("GET", url, params={"logs": int(logs)}):
            event = QueueStatus.from_json(data, request_id)
            # Events carry only new log lines; callers get every line so far, as with polling.
            seen.extend(event.logs)
            status = dataclasses.replace(event, logs=list(seen))
            yield status
            if status.done:
                return
        raise FalConnectionError("status stream closed before the request completed")

    async def result(self, endpoint_id: str, request_id: str) -> Any:
        return (await self.fetch_result(endpoint_id, request_id)).data

    async def fetch_result(self, endpoint_id: str, request_id: str) -> RunResult:
        """The result with what fal bills for it (its `x-fal-billable-units` header)."""
        response = await self._request("GET", self._request_url(endpoint_id, request_id, ""))
        return _run_result(response, request_id)

    async def cancel(self, endpoint_id: str, request_id: str) -> str:
        """Ask fal to cancel; returns fal's outcome word (e.g. CANCELLATION_REQUESTED)."""
        url = self._request_url(endpoint_id, request_id, "/cancel")
        response = await self._request("PUT", url)
        body = _json_or_none(response)
        return str(body.get("status", "OK")) if isinstance(body, dict) else "OK"

    def _request_url(self, endpoint_id: str, request_id: str, suffix: str) -> str:
        app = EndpointId.parse(endpoint_id).app
        return f"{self.urls.queue}/{app}/requests/{quote(request_id, safe='')}{suffix}"

    # -- run and stream -------------------------------------------------------------------
    async def run(
        self,
        endpoint_id: str,
        arguments: dict[str, Any],
        *,
        timeout: float | None = 300.0,
        hint: str | None = None,
        start_timeout: float | None = None,
    ) -> RunResult:
        """A direct run: fal does not retry these, and neither do we once sent."""
        endpoint = EndpointId.parse(endpoint_id)
        response = await self._request(
            "POST",
            f"{self.urls.run}/{endpoint.full}",
            idempotent=False,
            json=arguments,
            headers=_queue_headers(hint=hint, start_timeout=start_timeout),
            timeout=timeout,
        )
        return _run_result(response, response.headers.get("x-fal-request-id", ""))

    async def stream(
        self, endpoint_id: str, arguments: dict[str, Any], *, timeout: float | None = 300.0
    ) -> AsyncIterator[Any]:
        """Yield every `data:` payload of a streaming endpoint (partial outputs, then the last)."""
        endpoint = EndpointId.parse(endpoint_id)
        path = endpoint.full if endpoint.full.endswith("/stream") else f"{endpoint.full}/stream"
        async for data in self._sse(
            "POST", f"{self.urls.run}/{path}", json=arguments, timeout=timeout
        ):
            yield data

    async def _sse(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[Any]:
        timeout = kwargs.pop("timeout", None)
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=10.0)
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        try:
            async with aconnect_sse(self._http, method, url, headers=headers, **kwargs) as source:
                response = source.response
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    await response.aread()
                    raise FalHTTPError(
                        "expected an event stream",
                        status_code=response.status_code,
                        body=response.text[:500],
                    )
                async for event in source.aiter_sse():
                    if event.data:
                        yield json.loads(event.data)
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc

    # -- storage and tokens ---------------------------------------------------------------
    async def upload(self, data: bytes, content_type: str, file_name: str = "upload.bin") -> str:
        """Store a file on fal's CDN (or the emulator's) and return its public URL."""
        if len(data) > MULTIPART_THRESHOLD:
            return await self._upload_multipart(data, content_type, file_name)
        target = await self._initiate("initiate", content_type, file_name)
        await self._put(target["upload_url"], data, content_type)
        return str(target["file_url"])

    async def _initiate(self, kind: str, content_type: str, file_name: str) -> dict[str, Any]:
        response = await self._request(
            "POST",
            f"{self.urls.rest}/storage/upload/{kind}",
            params={"storage_type": "fal-cdn-v3"},
            json={"content_type": content_type, "file_name": file_name},
        )
        return response.json()

    async def _upload_multipart(self, data: bytes, content_type: str, file_name: str) -> str:
        target = await self._initiate("initiate-multipart", content_type, file_name)
        parts = []
        for number, start in enumerate(range(0, len(data), MULTIPART_CHUNK), start=1):
            chunk = data[start : start + MULTIPART_CHUNK]
            response = await self._put(
                _sub_url(target["upload_url"], str(number)), chunk, content_type
            )
            etag = (_json_or_none(response) or {}).get("etag") or response.headers.get("etag")
            parts.append({"partNumber": number, "etag": etag})
        await self._send(
            self._bare, "POST", _sub_url(target["upload_url"], "complete"), json={"parts": parts}
        )
        return str(target["file_url"])

    async def _put(self, url: str, data: bytes, content_type: str) -> httpx.Response:
        return await self._send(
            self._bare, "PUT", url, content=data, headers={"Content-Type": content_type}
        )

    async def download(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """An output file's bytes and content type. fal's media URLs are public: the key is
        never sent. Raises FalHTTPError (413) above `max_bytes`, FalURLRefused for a URL
        (or redirect) to a non-public address; transport errors retried."""
        if url.startswith("data:"):
            return _decode_data_url(url, max_bytes)
        for attempt in range(1, 4):
            try:
                return await self._download_once(url, max_bytes)
            except (FalConnectionError, FalTimeoutError) as error:
                if attempt == 3:
                    raise
                await self._sleep(self.retry.delay(attempt))
                log.info("download of %s failed (%s); retrying", url, error)
        raise AssertionError("unreachable")

    async def _download_once(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        # Output URLs name any host a model (or whoever runs it) likes: only fal's CDN (the
        # emulator's, in local mode) is trusted; anything else, and every redirect, must be
        # a public address, connected to as checked.
        allowed = egress.origins([self.urls.cdn])
        try:
            async with egress.stream(
                "GET", url, allowed=allowed, via=self._bare, timeout=self._bare.timeout
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response)
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FalHTTPError(
                            f"file is larger than {max_bytes} bytes", status_code=413
                        )
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "").split(";")[0]
                return b"".join(chunks), content_type
        except egress.EgressRefused as exc:
            raise FalURLRefused(str(exc)) from None
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc

    async def realtime_token(self, endpoint_id: str, *, expiration: int = 120) -> str:
        alias = EndpointId.parse(endpoint_id).alias
        response = await self._request(
            "POST",
            f"{self.urls.rest}/tokens/",
            json={"allowed_apps": [alias], "token_expiration": expiration},
        )
        body = response.json()
        if isinstance(body, str):
            return body
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            return body["token"]
        raise FalHTTPError("unexpected token response", status_code=response.status_code, body=body)

    # -- the retry loop -------------------------------------------------------------------
    async def _request(self, method: str, url: str, *, idempotent: bool = True, **kwargs: Any):
        return await self._send(self._http, method, url, idempotent=idempotent, **kwargs)

    async def _send(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=10.0)
        attempt = 0
        while True:
            try:
                return await self._send_once(http, method, url, **kwargs)
            except FalError as error:
                attempt += 1
                if not self.retry.should_retry(error, attempt, idempotent=idempotent):
                    raise
                delay = self.retry.delay(attempt)
                log.info(
                    "fal %s %s failed (%s); retry %d in %.2fs", method, url, error, attempt, delay
                )
                await self._notify_retry(error, attempt, delay)
                await self._sleep(delay)

    async def _send_once(self, http: httpx.AsyncClient, method: str, url: str, **kwargs: Any):
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def _notify_retry(self, error: FalError, attempt: int, delay: float) -> None:
        if self._on_retry is None:
            return
        outcome = self._on_retry(error, attempt, delay)
        if asyncio.iscoroutine(outcome):
            await outcome


def _run_result(response: httpx.Response, request_id: str) -> RunResult:
    units = RunResult.units_of(response.headers.get("x-fal-billable-units"))
    return RunResult(data=response.json(), request_id=request_id, billable_units=units)


def _queue_headers(
    *, priority: str | None = None, hint: str | None = None, start_timeout: float | None = None
) -> dict[str, str]:
    headers = {}
    if priority:
        if priority not in ("normal", "low"):
            raise ValueError("priority must be 'normal' or 'low'")
        headers["X-Fal-Queue-Priority"] = priority
    if hint:
        headers["X-Fal-Runner-Hint"] = hint
    if start_timeout is not None:
        if start_timeout <= 1:
            raise ValueError("start_timeout must be more than 1 second")
        headers["X-Fal-Request-Timeout"] = str(start_timeout)
    return headers


def _transport_error(exc: httpx.HTTPError) -> FalError:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
        error: FalError = FalConnectionError(f"cannot reach fal: {_describe(exc)}")
        error.never_sent = True  # type: ignore[attr-defined]
        return error
    if isinstance(exc, httpx.TimeoutException):
        return FalTimeoutError(f"fal did not answer in time ({type(exc).__name__})")
    return FalConnectionError(f"connection to fal broke: {_describe(exc)}")


def _describe(exc: Exception) -> str:
    """httpx errors often have no message: name the kind at least."""
    return str(exc) or type(exc).__name__


def _decode_data_url(url: str, max_bytes: int) -> tuple[bytes, str]:
    header, _, payload = url.partition(",")
    content_type = header[5:].split(";")[0] or "application/octet-stream"
    try:
        data = (
            base64.b64decode(payload) if header.endswith(";base64") else unquote_to_bytes(payload)
        )
    except ValueError as exc:
        raise FalHTTPError(f"bad data URL: {exc}", status_code=422) from None
    if len(data) > max_bytes:
        raise FalHTTPError(f"file is larger than {max_bytes} bytes", status_code=413)
    return data, content_type


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _sub_url(url: str, segment: str) -> str:
    """`https://h/p?q` + "3" -> `https://h/p/3?q` (multipart part and complete URLs)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/{segment}"))
