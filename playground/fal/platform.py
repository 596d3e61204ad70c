"""fal's Platform API model list: `GET https://api.fal.ai/v1/models` (fal-protocol.md §10).

Pages look like `{"models": [{"endpoint_id", "metadata": {...}, "openapi": {...}}, ...],
"has_more": bool, "next_cursor": str | null}`; `expand=openapi-3.0` inlines each model's
queue OpenAPI document. A key is optional (it raises the rate limit). The real fal serves
this list even when runs go to the local emulator, which has no model list of its own.

    with platform_client_from_settings() as fal:
        for page in fal.iter_model_pages(limit=50):
            ...

Unit prices come from `GET https://api.fal.ai/v1/models/pricing?endpoint_id=...` (a key
required): `{"prices": [{"endpoint_id", "unit_price", "unit", "currency"}], "has_more",
"next_cursor"}`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from playground.fal.errors import (
    FalConnectionError,
    FalError,
    FalTimeoutError,
    error_from_response,
)
from playground.fal.retry import RetryPolicy
from playground.lib import egress

log = logging.getLogger(__name__)
PLATFORM_URL = "https://api.fal.ai/v1"
# One endpoint's queue OpenAPI document, by id (what fal's own model pages link to).
OPENAPI_URL = "https://fal.ai/api/openapi/queue/openapi.json"
MAX_OPENAPI_BYTES = 4 * 1024 * 1024
USER_AGENT = "playground-fal/1.0"
# Endpoint ids per pricing call (fal accepts 1-50).
PRICING_BATCH = 50
# The listing fields worth keeping beside the schemas (the rest change daily or are UI).
KEPT_METADATA = ("display_name", "status", "tags", "thumbnail_url", "model_url", "kind")


class PlatformResponseError(FalError):
    """fal's model API answered 2xx with something that is not a page of models."""


@dataclass(frozen=True)
class ModelInfo:
    endpoint_id: str
    display_name: str = ""
    category: str = ""
    description: str = ""
    status: str = ""
    tags: tuple[str, ...] = ()
    openapi: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> ModelInfo:
        """Raises PlatformResponseError when the item has no endpoint id."""
        if not isinstance(data, dict) or not isinstance(data.get("endpoint_id"), str):
            raise PlatformResponseError(f"model entry without an endpoint_id: {_clip(data)}")
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
        openapi = data.get("openapi")
        return cls(
            endpoint_id=data["endpoint_id"],
            display_name=str(meta.get("display_name") or ""),
            category=str(meta.get("category") or ""),
            description=str(meta.get("description") or ""),
            status=str(meta.get("status") or ""),
            tags=tuple(str(tag) for tag in tags),
            # A model whose document fal could not build comes back without a usable one.
            openapi=openapi if isinstance(openapi, dict) and "paths" in openapi else None,
            metadata={k: meta[k] for k in KEPT_METADATA if meta.get(k) not in (None, "", [])},
        )


@dataclass(frozen=True)
class ModelPage:
    models: list[ModelInfo]
    next_cursor: str | None
    has_more: bool
    total: int | None = None
    # Entries that could not be read at all, as short descriptions.
    malformed: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any) -> ModelPage:
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise PlatformResponseError(f"expected a page of models, got {_clip(data)}")
        models, malformed = [], []
        for item in data["models"]:
            try:
                models.append(ModelInfo.from_json(item))
            except PlatformResponseError as exc:
                malformed.append(str(exc))
        cursor = data.get("next_cursor")
        cursor = cursor if isinstance(cursor, str) and cursor else None
        total = data.get("total_count")
        return cls(
            models=models,
            next_cursor=cursor,
            has_more=bool(data.get("has_more", cursor is not None)) and cursor is not None,
            total=total if isinstance(total, int) else None,
            malformed=malformed,
        )


@dataclass(frozen=True)
class PriceInfo:
    """One entry of fal's pricing API: `unit_price` USD (or `currency`) per `unit`."""

    endpoint_id: str
    unit_price: Any
    unit: str
    currency: str = "USD"

    @classmethod
    def from_json(cls, data: Any) -> PriceInfo:
        if not isinstance(data, dict) or not isinstance(data.get("endpoint_id"), str):
            raise PlatformResponseError(f"price entry without an endpoint_id: {_clip(data)}")
        return cls(
            endpoint_id=data["endpoint_id"],
            unit_price=data.get("unit_price"),
            unit=str(data.get("unit") or ""),
            currency=str(data.get("currency") or "USD").upper(),
        )


class PlatformClient:
    def __init__(
        self,
        *,
        key: str | None,
        base_url: str = PLATFORM_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy(max_retries=2)
        self._sleep = sleep
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Key {key}"
        self._http = httpx.Client(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
        )

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def list_models(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        category: str | None = None,
        openapi: bool = True,
    ) -> ModelPage:
        """One page of the model list; raises FalError subclasses on any failure."""
        params: dict[str, Any] = {"limit": limit}
        if openapi:
            params["expand"] = "openapi-3.0"
        if category:
            params["category"] = category
        if cursor:
            params["cursor"] = cursor
        response = self._get(f"{self.base_url}/models", params=params)
        try:
            data = response.json()
        except ValueError as exc:
            raise PlatformResponseError(f"not JSON: {_clip(response.text)}") from exc
        return ModelPage.from_json(data)

    def iter_model_pages(
        self, *, limit: int = 50, category: str | None = None, max_pages: int = 1000
    ) -> Iterator[ModelPage]:
        """Every page, following `next_cursor`; stops on a repeated cursor (a loop)."""
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            page = self.list_models(limit=limit, cursor=cursor, category=category)
            yield page
            if not page.has_more or page.next_cursor in seen:
                return
            cursor = page.next_cursor
            seen.add(cursor)

    def iter_prices(self, endpoint_ids: list[str], *, max_pages: int = 100) -> Iterator[PriceInfo]:
        """fal's unit prices of `endpoint_ids` (`GET /models/pricing`, up to
        PRICING_BATCH ids a call, pages followed by `next_cursor`); a key is required."""
        for start in range(0, len(endpoint_ids), PRICING_BATCH):
            params: dict[str, Any] = {"endpoint_id": endpoint_ids[start : start + PRICING_BATCH]}
            seen: set[str] = set()
            for _ in range(max_pages):
                data = self._json(self._get(f"{self.base_url}/models/pricing", params=params))
                if not isinstance(data, dict) or not isinstance(data.get("prices"), list):
                    raise PlatformResponseError(f"expected a list of prices, got {_clip(data)}")
                yield from (PriceInfo.from_json(item) for item in data["prices"])
                cursor = data.get("next_cursor")
                if not data.get("has_more") or not isinstance(cursor, str) or cursor in seen:
                    break
                seen.add(cursor)
                params["cursor"] = cursor

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise PlatformResponseError(f"not JSON: {_clip(response.text)}") from exc

    def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                return self._get_once(url, **kwargs)
            except FalError as error:
                attempt += 1
                if not self.retry.should_retry(error, attempt, idempotent=True):
                    raise
                delay = self.retry.delay(attempt)
                log.info("fal GET %s failed (%s); retry %d in %.2fs", url, error, attempt, delay)
                self._sleep(delay)

    def _get_once(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.get(url, **kwargs)
        except httpx.TimeoutException as exc:
            raise FalTimeoutError(f"no answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FalConnectionError(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response


def platform_client_from_settings(
    *, transport: httpx.BaseTransport | None = None, **kwargs: Any
) -> PlatformClient:
    """A client with the server's FAL_KEY when there is one (the list works without)."""
    return PlatformClient(
        key=settings.FAL_KEY or None,
        base_url=getattr(settings, "FAL_PLATFORM_URL", PLATFORM_URL),
        transport=transport,
        timeout=settings.FAL_TIMEOUT_SECONDS,
        **kwargs,
    )


def fetch_openapi(
    endpoint_id: str,
    *,
    key: str | None,
    transport: Callable[[], httpx.BaseTransport] | None = None,
    resolve: Callable[[str, int], list[str]] | None = None,
) -> dict[str, Any]:
    """fal's queue OpenAPI document for one endpoint id, any fal knows: public models,
    `comfy/...` and `workflows/...`, and private apps the key can see.

    Through lib/egress (public addresses only, no redirects followed), at most
    MAX_OPENAPI_BYTES. Raises FalNotFoundError for an id fal does not know (or the key may
    not see), PlatformResponseError for an answer that is not one JSON object, and the
    other FalError subclasses for refusals, timeouts and no connection.
    """
    url = httpx.URL(getattr(settings, "FAL_OPENAPI_URL", OPENAPI_URL)).copy_merge_params(
        {"endpoint_id": endpoint_id}
    )
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Key {key}"
    try:
        with egress.stream_sync(
            "GET",
            str(url),
            headers=headers,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.FAL_TIMEOUT_SECONDS, connect=10.0),
            transport=transport,
            resolve=resolve,
        ) as response:
            body = _read_capped(response, MAX_OPENAPI_BYTES)
    except egress.EgressRefused as exc:
        raise FalConnectionError(str(exc)) from exc
    except httpx.TimeoutException as exc:
        raise FalTimeoutError(f"no answer in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FalConnectionError(str(exc) or type(exc).__name__) from exc
    if response.status_code >= 300:
        raise error_from_response(
            httpx.Response(response.status_code, headers=response.headers, content=body)
        )
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise PlatformResponseError(f"not JSON: {_clip(body.decode(errors='replace'))}") from exc
    if not isinstance(document, dict):
        raise PlatformResponseError(f"expected an OpenAPI document, got {_clip(document)}")
    return document


def _read_capped(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise PlatformResponseError(f"the document is larger than {limit // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def _clip(value: Any, size: int = 120) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= size else text[: size - 1] + "…"
