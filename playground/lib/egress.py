"""Requests to URLs that are not ours: public addresses only, checked on every hop.

A URL from a user, a model's output or an imported document may name any host, including
this machine, the local network or a cloud metadata service. Before each connection (and
each redirect, followed here by hand) the host is resolved once, and the request is refused
unless every address is public. The connection then goes to the address that was checked,
with the Host header and TLS (SNI and the certificate check) still on the URL's name, so an
answer that changes between the check and the connect (DNS rebinding) reaches nothing.

Exact origins (scheme, host, port) may be allowed without the check: this server itself,
such as the embedded emulator on a loopback address. They are connected to as usual.

    async with egress.stream("GET", url, allowed=origins([own_url])) as response: ...
    with egress.stream_sync("GET", url) as response: ...

Each checked hop gets a connection of its own, never pooled: a pool keyed by address could
hand a connection verified for one name to a request for another.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
CREDENTIALS = ("authorization", "cookie", "proxy-authorization")
# Addresses that carry an IPv4 address inside IPv6: the IPv4 one must be public too.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

Origin = tuple[str, str, int]
Resolver = Callable[[str, int], list[str]]


class EgressRefused(Exception):
    """Not fetched: not an http(s) URL, a host with a non-public address, or too many
    redirects. The message says which, in plain words."""


def origin_of(url: str | httpx.URL) -> Origin:
    """(scheme, host, port) as compared for allowed origins; the host in ASCII, lowercase."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    port = parsed.port or DEFAULT_PORTS.get(scheme, 0)
    return scheme, parsed.raw_host.decode("ascii").lower(), port


def origins(urls: Iterable[str]) -> frozenset[Origin]:
    """The origins of some URLs (empty ones skipped), to pass as `allowed`."""
    return frozenset(origin_of(url) for url in urls if url)


def is_public(address: str) -> bool:
    """True for a globally reachable unicast address, also when it embeds an IPv4 one
    (IPv4-mapped, 6to4, NAT64): ::ffff:127.0.0.1 is loopback, whatever its form."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if ip in NAT64_LOCAL or ip in IPV4_COMPATIBLE:
        return False
    embedded = ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64:
        embedded = ipaddress.IPv4Address(ip.packed[-4:])
    return embedded is None or is_public(str(embedded))


def resolve_host(host: str, port: int) -> list[str]:
    """Every address of `host` (the system resolver), in the order it gave them."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Redirect(NamedTuple):
    """The next hop of a redirect, with what is sent to it."""

    method: str
    url: httpx.URL
    content: bytes | None
    headers: dict[str, str]


@dataclass(frozen=True)
class Hop:
    """One request's target: `address` is the checked address to connect to, or None for
    an allowed origin (connected to as usual)."""

    url: httpx.URL
    address: str | None


def vet(
    url: str | httpx.URL,
    *,
    allowed: Collection[Origin] = (),
    resolve: Resolver | None = None,
) -> Hop:
    """The hop to `url`; raises EgressRefused unless its origin is allowed or every
    address of its host is public. Blocks while resolving."""
    parsed = _http_url(url)
    origin = origin_of(parsed)
    if origin in allowed:
        return Hop(parsed, None)
    host = origin[1]
    addresses = _addresses(host, origin[2], resolve or resolve_host)
    private = next((a for a in addresses if not is_public(a)), None)
    if private is not None:
        where = host if host == private else f"{host} (at {private})"
        raise EgressRefused(f"{where} is not a public address: {_shown(url)} is not fetched")
    return Hop(parsed, addresses[0])


async def vet_async(
    url: str | httpx.URL,
    *,
    allowed: Collection[Origin] = (),
    resolve: Resolver | None = None,
) -> Hop:
    """`vet` off the event loop: in a thread only when there is a name to resolve."""
    parsed = _http_url(url)
    if origin_of(parsed) in allowed:
        return Hop(parsed, None)
    return await asyncio.to_thread(vet, parsed, allowed=allowed, resolve=resolve)


def _http_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise EgressRefused(f"not a valid URL: {_shown(url)}") from None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.raw_host:
        raise EgressRefused(f"only http and https URLs can be fetched, not {_shown(url)}")
    return parsed


def _addresses(host: str, port: int, resolve: Resolver) -> list[str]:
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host))]  # a literal: nothing to look up
    try:
        addresses = resolve(host, port)
    except OSError:
        addresses = []
    if not addresses:
        raise EgressRefused(f"{host} could not be resolved")
    return addresses


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    hop: Hop,
    method: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Request:
    """The request for `hop`: to its checked address, still named by its host."""
    if hop.address is None:
        return client.build_request(method, hop.url, headers=headers, content=content)
    name = hop.url.raw_host.decode("ascii")
    extensions: dict[str, Any] = {}
    if hop.url.scheme == "https":
        # httpcore sends this name in SNI and checks the certificate against it.
        extensions["sni_hostname"] = name
    return client.build_request(
        method,
        hop.url.copy_with(host=hop.address),
        headers={**(headers or {}), "Host": _host_header(hop.url, name)},
        content=content,
        extensions=extensions,
    )


def redirect_of(
    response: httpx.Response,
    hop: Hop,
    method: str,
    content: bytes | None,
    headers: dict[str, str],
) -> Redirect | None:
    """The next hop when `response` redirects, else None. The Location is read against
    the URL as named, not the address connected to."""
    location = response.headers.get("location")
    if response.status_code not in REDIRECTS or not location:
        return None
    target = hop.url.join(location)
    if origin_of(target) != origin_of(hop.url):
        # As browsers do: credentials meant for one origin are not handed to the next.
        headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIALS}
    see_other = response.status_code == 303 and method != "HEAD"
    if see_other or (response.status_code in (301, 302) and method == "POST"):
        return Redirect("GET", target, None, headers)
    return Redirect(method, target, content, headers)


@contextlib.asynccontextmanager
async def stream(
    method: str,
    url: str,
    *,
    allowed: Collection[Origin] = (),
    via: httpx.AsyncClient | None = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    follow_redirects: bool = True,
    max_redirects: int = MAX_REDIRECTS,
    timeout: httpx.Timeout | float = TIMEOUT,
    resolve: Resolver | None = None,
    transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
) -> AsyncIterator[httpx.Response]:
    """The response to `method url` (not yet read), each hop checked and pinned.

    Allowed origins go through `via` when given (the caller's own client). `transport`
    makes the connection of each checked hop (tests record or fake it). Raises
    EgressRefused, or httpx's errors for the transfer itself."""
    target: str | httpx.URL = url
    for _ in range(max_redirects + 1):
        hop = await vet_async(target, allowed=allowed, resolve=resolve)
        async with _async_client(hop, via, timeout, transport) as client:
            request = build_request(client, hop, method, headers=headers, content=content)
            # Never the client's own redirects: each hop is checked here.
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                following = redirect_of(response, hop, method, content, headers or {})
                if following is None or not follow_redirects:
                    yield response
                    return
            finally:
                await response.aclose()
        method, target, content, headers = following
    raise EgressRefused(f"more than {max_redirects} redirects from {_shown(url)}")


@contextlib.contextmanager
def stream_sync(
    method: str,
    url: str,
    *,
    allowed: Collection[Origin] = (),
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    follow_redirects: bool = True,
    max_redirects: int = MAX_REDIRECTS,
    timeout: httpx.Timeout | float = TIMEOUT,
    resolve: Resolver | None = None,
    transport: Callable[[], httpx.BaseTransport] | None = None,
) -> Iterator[httpx.Response]:
    """`stream` for synchronous code (threads of the emulator's engine)."""
    target: str | httpx.URL = url
    for _ in range(max_redirects + 1):
        hop = vet(target, allowed=allowed, resolve=resolve)
        with _sync_client(hop, timeout, transport) as client:
            request = build_request(client, hop, method, headers=headers, content=content)
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                following = redirect_of(response, hop, method, content, headers or {})
                if following is None or not follow_redirects:
                    yield response
                    return
            finally:
                response.close()
        method, target, content, headers = following
    raise EgressRefused(f"more than {max_redirects} redirects from {_shown(url)}")


@contextlib.asynccontextmanager
async def _async_client(
    hop: Hop,
    via: httpx.AsyncClient | None,
    timeout: httpx.Timeout | float,
    transport: Callable[[], httpx.AsyncBaseTransport] | None,
) -> AsyncIterator[httpx.AsyncClient]:
    if hop.address is None and via is not None:
        yield via
        return
    if hop.address is None:
        made: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(verify=_tls())
    else:
        made = (transport or pinned_async_transport)()
    async with httpx.AsyncClient(transport=made, timeout=timeout, trust_env=False) as client:
        yield client


def _sync_client(
    hop: Hop, timeout: httpx.Timeout | float, transport: Callable[[], httpx.BaseTransport] | None
) -> httpx.Client:
    if hop.address is None:
        made: httpx.BaseTransport = httpx.HTTPTransport(verify=_tls())
    else:
        made = (transport or pinned_sync_transport)()
    return httpx.Client(transport=made, timeout=timeout, trust_env=False)


def pinned_async_transport() -> httpx.AsyncBaseTransport:
    """The connection of one checked hop (tests replace it to see where it connects)."""
    return httpx.AsyncHTTPTransport(verify=_tls())


def pinned_sync_transport() -> httpx.BaseTransport:
    return httpx.HTTPTransport(verify=_tls())


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for all: loading the CA bundle per request would block the loop."""
    return httpx.create_ssl_context()


def _host_header(url: httpx.URL, name: str) -> str:
    host = f"[{name}]" if ":" in name else name
    port = url.port
    if port is None or port == DEFAULT_PORTS.get(url.scheme):
        return host
    return f"{host}:{port}"


def _shown(url: str | httpx.URL) -> str:
    text = str(url)
    return text if len(text) <= 100 else f"{text[:97]}..."
