"""A real SAML 2.0 identity provider for tests: pysaml2's IdP (`saml2.server.Server`)
behind a small WSGI app on a free localhost port, with keys made at start.

It serves its metadata (`/metadata`), takes AuthnRequests by HTTP-Redirect (`/sso`), shows
a username/password form, and answers by HTTP-POST with a signed assertion carrying the
user's `uid`, `mail`, `displayName` and `groups`. The form's hidden `mode` field (tests set
it) makes the hostile answers a broken or malicious IdP would send: `unsigned`,
`response-signed-only` (a signed response around an unsigned assertion), `wrong-audience`
(made for another SP), `wrong-destination` (addressed to another SP's URL), `expired`
(made 20 minutes ago, valid for 15), `wrong-key` (signed by a key not in the metadata)
and `denied` (a RequestDenied status). Logout requests (`/slo`) are answered as success,
and their NameIDs listed in `logouts`.

The SP's metadata is read from `sp_metadata()` when the first request needs it: the SP
may start after the IdP.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import importlib
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, time_util
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.samlp import STATUS_REQUEST_DENIED
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary

# Another service provider this IdP knows: "wrong-audience" answers are made for it.
ELSEWHERE = "https://elsewhere.example/sp"
ELSEWHERE_METADATA = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
 entityID="{ELSEWHERE}"><md:SPSSODescriptor
 protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
 Location="https://elsewhere.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"""

MODES = (
    "normal",
    "unsigned",
    "response-signed-only",
    "wrong-audience",
    "wrong-destination",
    "expired",
    "wrong-key",
    "denied",
)


@dataclass
class IdpUser:
    password: str
    email: str
    groups: list[str] = field(default_factory=list)
    display_name: str = ""


def make_key_pair(folder: Path, name: str) -> tuple[str, str]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


class TestIdp:
    __test__ = False  # a helper, not a test class

    def __init__(self, sp_metadata: Callable[[], str], users: dict[str, IdpUser]):
        self.sp_metadata = sp_metadata
        self.users = users
        self.folder = Path(tempfile.mkdtemp(prefix="saml-idp-"))
        self.key_file, self.cert_file = make_key_pair(self.folder, "idp")
        self.rogue_key_file, self.rogue_cert_file = make_key_pair(self.folder, "rogue")
        self._server: WSGIServer | None = None
        self._servers: dict[str, Server] = {}
        self.base_url = ""
        self.logouts: list[str] = []

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> TestIdp:
        self._server = make_server(
            "127.0.0.1", 0, self.wsgi, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def forget(self) -> None:
        """Read the SP's metadata again at the next request (a test changed it)."""
        self._servers.clear()

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    def metadata_xml(self) -> str:
        config = self._config(self.cert_file, self.key_file, with_sp=False)
        return str(entity_descriptor(config))

    # --- pysaml2 -------------------------------------------------------------------------

    def _config(self, cert_file: str, key_file: str, *, with_sp: bool = True) -> IdPConfig:
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": get_xmlsec_binary(["/usr/bin"]),
            "key_file": key_file,
            "cert_file": cert_file,
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [(f"{self.base_url}/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{self.base_url}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 15},
                            "attribute_restrictions": None,
                            "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                        }
                    },
                    "name_id_format": [saml.NAMEID_FORMAT_PERSISTENT],
                }
            },
            # The SP's metadata only when answering it (it may fetch ours while starting).
            "metadata": {"inline": [self.sp_metadata(), ELSEWHERE_METADATA]} if with_sp else {},
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def server(self, mode: str = "normal") -> Server:
        """One pysaml2 Server per kind of answer (made when first needed)."""
        if mode not in self._servers:
            cert, key = (
                (self.rogue_cert_file, self.rogue_key_file)
                if mode == "wrong-key"
                else (self.cert_file, self.key_file)
            )
            self._servers[mode] = Server(config=self._config(cert, key))
        return self._servers[mode]

    def answer(self, saml_request: str, relay_state: str, username: str, mode: str) -> str:
        """The auto-posting HTML form carrying the SAMLResponse to the SP's ACS."""
        server = self.server(mode)
        request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        args = server.response_args(request, [BINDING_HTTP_POST])
        destination = args["destination"]
        if mode == "denied":
            response = server.create_error_response(
                args["in_response_to"],
                destination,
                (STATUS_REQUEST_DENIED, "The person said no"),
            )
        elif mode == "expired":
            with issued_minutes_ago(20):  # valid for 15 minutes: over 5 minutes ago
                response = self._authn_response(server, args, username, mode)
        else:
            response = self._authn_response(server, args, username, mode)
        http = server.apply_binding(
            BINDING_HTTP_POST, str(response), destination, relay_state, response=True
        )
        return http["data"]

    def _authn_response(self, server: Server, args: dict, username: str, mode: str):
        user = self.users[username]
        identity = {
            "uid": [username],
            "mail": [user.email],
            "displayName": [user.display_name or username],
            "groups": list(user.groups),
        }
        if mode == "wrong-audience":
            args = {**args, "sp_entity_id": ELSEWHERE}
        if mode == "wrong-destination":  # still posted to us by the browser
            args = {**args, "destination": "https://elsewhere.example/acs"}
        return server.create_authn_response(
            identity,
            userid=username,
            authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            sign_assertion=mode not in ("unsigned", "response-signed-only"),
            sign_response=mode == "response-signed-only",
            **args,
        )

    # --- WSGI ----------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        try:
            if path == "/metadata":
                return _reply(start_response, "200 OK", self.metadata_xml(), "text/xml")
            if path == "/sso" and environ["REQUEST_METHOD"] == "GET":
                query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                return _reply(start_response, "200 OK", self._login_page(query))
            if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
                return self._login(environ, start_response)
            if path == "/slo":
                return self._logout(environ, start_response)
        except Exception as error:  # the test sees what went wrong, not a hung browser
            return _reply(start_response, "500 Internal Server Error", f"IdP error: {error!r}")
        return _reply(start_response, "404 Not Found", "not found")

    def _login_page(self, query: dict, error: str = "") -> str:
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">'
            for name in ("SAMLRequest", "RelayState")
        )
        mode = html.escape(query.get("mode", "normal"))
        return (
            "<!doctype html><title>Test IdP sign-in</title><h1>Test IdP</h1>"
            f"<p class=error>{html.escape(error)}</p>"
            f'<form method=post action="/sso/login">{hidden}'
            f'<input type="hidden" name="mode" value="{mode}">'
            '<label>Username <input name="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
            "<button>Sign in at IdP</button></form>"
        )

    def _login(self, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size).decode()
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        user = self.users.get(form.get("username", ""))
        if user is None or user.password != form.get("password"):
            page = self._login_page(form, error="Wrong username or password")
            return _reply(start_response, "200 OK", page)
        mode = form.get("mode", "normal")
        if mode not in MODES:
            return _reply(start_response, "400 Bad Request", f"unknown mode {mode}")
        answer = self.answer(
            form["SAMLRequest"], form.get("RelayState", ""), form["username"], mode
        )
        return _reply(start_response, "200 OK", answer)

    def _logout(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        server = self.server()
        request = server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        self.logouts.append(request.message.name_id.text)
        response = server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
        args = server.response_args(request.message, [BINDING_HTTP_REDIRECT])
        http = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            args["destination"],
            query.get("RelayState", ""),
            response=True,
        )
        location = dict(http["headers"])["Location"]
        start_response("302 Found", [("Location", location)])
        return [b""]


_clock_lock = threading.Lock()
_CLOCKS = ("saml2.assertion", "saml2.entity", "saml2.s_utils")


@contextlib.contextmanager
def issued_minutes_ago(minutes: int):
    """pysaml2 makes messages as if its clock said `minutes` ago. Only the functions that
    stamp new messages are swapped (the SP's checks read the clock elsewhere), and only
    while one answer is made."""
    shift = minutes * 60

    def instant(format=time_util.TIME_FORMAT, time_stamp=0):
        return time_util.instant(format, (time_stamp or time.time()) - shift)

    def in_a_while(format=time_util.TIME_FORMAT, **delta):
        when = time_util.time_in_a_while(**delta) - datetime.timedelta(seconds=shift)
        return when.strftime(format)

    modules = [importlib.import_module(name) for name in _CLOCKS]
    with _clock_lock:
        saved = [(m, dict(vars(m))) for m in modules]
        for module in modules:
            module.instant = instant
            if hasattr(module, "in_a_while"):
                module.in_a_while = in_a_while
        try:
            yield
        finally:
            for module, names in saved:
                module.instant = names["instant"]
                if "in_a_while" in names:
                    module.in_a_while = names["in_a_while"]


def _reply(start_response, status: str, body: str, content_type: str = "text/html"):
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8")])
    return [body.encode()]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass
