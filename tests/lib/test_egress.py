"""playground.lib.egress: public addresses only, the checked address connected to, every
hop checked, the TLS certificate still checked against the URL's name."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import trustme

from playground.lib import egress
from playground.lib.egress import EgressRefused
from tests.lib.egress_fakes import PUBLIC, PUBLIC_TOO, Recorder, Resolver, redirect

EMULATOR = "http://127.0.0.1:8000/localfal"

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",
]


async def fetch(url: str, resolver: Resolver, recorder: Recorder, **kwargs) -> httpx.Response:
    async with egress.stream(
        "GET", url, resolve=resolver, transport=recorder.transport, **kwargs
    ) as response:
        await response.aread()
        return response


@pytest.mark.parametrize("address", PRIVATE)
def test_private_loopback_link_local_and_embedded_forms_are_not_public(address):
    assert not egress.is_public(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", PUBLIC_TOO, "2002:808:808::"])
def test_global_addresses_are_public(address):
    assert egress.is_public(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1"])
def test_a_name_resolving_to_a_private_address_is_refused(address):
    with pytest.raises(EgressRefused) as refused:
        egress.vet("http://files.example/a.png", resolve=Resolver(files_example=[address]))
    assert str(refused.value) == (
        f"files.example (at {address}) is not a public address:"
        " http://files.example/a.png is not fetched"
    )


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    resolver = Resolver(files_example=[PUBLIC, "10.0.0.7"])
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.7"):
        egress.vet("https://files.example/a.png", resolve=resolver)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/"],
)
def test_private_address_literals_are_refused_with_the_real_resolver(url):
    with pytest.raises(EgressRefused, match="is not a public address"):
        egress.vet(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)", "http://", ""]
)
def test_only_http_urls_are_fetched(url):
    with pytest.raises(EgressRefused, match="only http and https URLs"):
        egress.vet(url)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(EgressRefused, match=r"nowhere\.example could not be resolved"):
        egress.vet("https://nowhere.example/x", resolve=Resolver())


def test_an_allowed_origin_is_exact_scheme_host_and_port():
    allowed = egress.origins([EMULATOR])
    assert egress.vet(f"{EMULATOR}/cdn/files/a.png", allowed=allowed).address is None
    for other in ("https://127.0.0.1:8000/", "http://127.0.0.1:8001/", "http://localhost:8000/"):
        with pytest.raises(EgressRefused):
            egress.vet(other, allowed=allowed, resolve=Resolver(localhost=["127.0.0.1"]))


async def test_the_request_connects_to_the_checked_address_named_by_its_host():
    recorder = Recorder()
    resolver = Resolver(files_example=[PUBLIC])
    response = await fetch("https://files.example:8443/a.png?x=1", resolver, recorder)
    [sent] = recorder.sent
    assert response.content == b"ok"
    assert str(sent.url) == f"https://{PUBLIC}:8443/a.png?x=1"
    assert sent.headers["Host"] == "files.example:8443"
    assert sent.extensions["sni_hostname"] == "files.example"


async def test_an_ipv6_address_is_connected_to_in_brackets():
    recorder = Recorder()
    await fetch("http://files.example/a.png", Resolver(files_example=[PUBLIC_TOO]), recorder)
    assert str(recorder.sent[0].url) == f"http://[{PUBLIC_TOO}]/a.png"
    assert recorder.sent[0].headers["Host"] == "files.example"


async def test_dns_rebinding_still_connects_to_the_first_checked_address():
    """The name answers a public address when checked, then loopback: nothing asks again."""
    resolver = Resolver(files_example=[[PUBLIC], ["127.0.0.1"]])
    recorder = Recorder()
    await fetch("http://files.example/a.png", resolver, recorder)
    assert recorder.addresses == [PUBLIC]
    assert resolver.asked == ["files.example"]
    assert resolver("files.example", 80) == ["127.0.0.1"]  # what a second lookup would get


def test_dns_rebinding_in_synchronous_code_too():
    resolver = Resolver(files_example=[[PUBLIC], ["127.0.0.1"]])
    recorder = Recorder()
    with egress.stream_sync(
        "GET", "http://files.example/a.png", resolve=resolver, transport=recorder.transport
    ) as response:
        assert response.read() == b"ok"
    assert recorder.addresses == [PUBLIC]
    assert resolver.asked == ["files.example"]


async def test_a_redirect_from_an_allowed_origin_to_a_private_address_is_refused():
    emulator = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: redirect("http://internal.example/admin"))
    )
    recorder = Recorder()
    with pytest.raises(EgressRefused, match=r"internal.example \(at 10.0.0.7\)"):
        await fetch(
            f"{EMULATOR}/cdn/files/a.png",
            Resolver(internal_example=["10.0.0.7"]),
            recorder,
            allowed=egress.origins([EMULATOR]),
            via=emulator,
        )
    assert recorder.sent == []


async def test_a_redirect_to_the_metadata_service_is_refused_before_connecting():
    recorder = Recorder(redirect("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(EgressRefused, match=r"169\.254\.169\.254 is not a public address"):
        await fetch("https://files.example/a.png", Resolver(files_example=[PUBLIC]), recorder)
    assert recorder.addresses == [PUBLIC]


async def test_each_redirect_is_checked_and_pinned_on_its_own():
    resolver = Resolver(files_example=[PUBLIC], cdn_example=[[PUBLIC_TOO], ["10.0.0.7"]])
    recorder = Recorder(redirect("//cdn.example/b.png", 303))
    async with egress.stream(
        "POST",
        "https://files.example/a",
        content=b"body",
        resolve=resolver,
        transport=recorder.transport,
    ) as response:
        await response.aread()
    first, second = recorder.sent
    assert (first.method, first.headers["Host"]) == ("POST", "files.example")
    assert (second.method, second.content) == ("GET", b"")
    assert str(second.url) == f"https://[{PUBLIC_TOO}]/b.png"
    assert second.headers["Host"] == "cdn.example"
    assert second.extensions["sni_hostname"] == "cdn.example"


async def test_redirects_are_bounded():
    recorder = Recorder(*[redirect(f"/hop{n}") for n in range(10)])
    with pytest.raises(EgressRefused, match="more than 2 redirects"):
        resolver = Resolver(files_example=[PUBLIC])
        await fetch("http://files.example/", resolver, recorder, max_redirects=2)
    assert len(recorder.sent) == 3


async def test_without_following_a_redirect_is_the_answer():
    recorder = Recorder(redirect("http://127.0.0.1/"))
    response = await fetch(
        "http://files.example/", Resolver(files_example=[PUBLIC]), recorder, follow_redirects=False
    )
    assert response.status_code == 302
    assert len(recorder.sent) == 1


# -- the real socket path: TLS is checked against the URL's name -----------------------------
@contextlib.contextmanager
def tls_server(ca: trustme.CA, name: str) -> Iterator[tuple[int, list[dict]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for `name`; keeps SNI and Host."""
    seen: list[dict] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    context.sni_callback = lambda sock, sni, ctx: seen.append({"sni": sni}) and None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"host": self.headers["Host"]})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"hi")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """This machine can reach no public address: let 127.0.0.1 stand in for one."""
    real = egress.is_public
    monkeypatch.setattr(egress, "is_public", lambda a: a == "127.0.0.1" or real(a))


async def test_tls_sends_the_name_and_checks_the_certificate_against_it(loopback_counts_as_public):
    ca = trustme.CA()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with tls_server(ca, "files.example") as (port, seen):
        async with egress.stream(
            "GET",
            f"https://files.example:{port}/a",
            resolve=Resolver(files_example=["127.0.0.1"]),
            transport=lambda: httpx.AsyncHTTPTransport(verify=client_context),
        ) as response:
            assert await response.aread() == b"hi"
    assert seen == [{"sni": "files.example"}, {"host": f"files.example:{port}"}]


async def test_a_certificate_for_another_name_fails(loopback_counts_as_public):
    ca = trustme.CA()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with tls_server(ca, "other.example") as (port, _):
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            async with egress.stream(
                "GET",
                f"https://files.example:{port}/a",
                resolve=Resolver(files_example=["127.0.0.1"]),
                transport=lambda: httpx.AsyncHTTPTransport(verify=client_context),
            ):
                pass


async def test_a_client_that_follows_redirects_itself_is_still_checked_hop_by_hop():
    """`via` is the caller's client: even one set to follow redirects does not follow them."""
    emulator = httpx.AsyncClient(
        follow_redirects=True,
        transport=httpx.MockTransport(
            lambda request: (
                redirect("http://10.0.0.7/")
                if request.url.path.endswith("a.png")
                else httpx.Response(200, content=b"private")
            )
        ),
    )
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.7 is not a public address"):
        await fetch(
            f"{EMULATOR}/cdn/files/a.png",
            Resolver(),
            Recorder(),
            allowed=egress.origins([EMULATOR]),
            via=emulator,
        )


async def test_credentials_are_not_handed_to_another_origin_on_a_redirect():
    recorder = Recorder(redirect("/same", 307), redirect("https://cdn.example/b", 307))
    resolver = Resolver(files_example=[PUBLIC], cdn_example=[PUBLIC_TOO])
    headers = {"Authorization": "Key secret", "Cookie": "a=b", "Content-Type": "text/plain"}
    async with egress.stream(
        "PUT",
        "https://files.example/a",
        headers=headers,
        content=b"body",
        resolve=resolver,
        transport=recorder.transport,
    ):
        pass
    _, same, other = recorder.sent
    assert same.headers["Authorization"] == "Key secret" and same.content == b"body"
    assert "Authorization" not in other.headers and "Cookie" not in other.headers
    assert (other.method, other.content, other.headers["Content-Type"]) == (
        "PUT",
        b"body",
        "text/plain",
    )
