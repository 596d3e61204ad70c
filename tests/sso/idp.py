"""A real OpenID Connect provider for tests: tests/js/oidc-idp.mjs (the certified Node
`oidc-provider`) on a free port, with a signing key made here (so a test can also sign
tokens with it, or start a second provider with another key)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from playground.lib.liveserver import free_port, stop_process, wait_until_answering

JS_DIR = Path(__file__).resolve().parents[1] / "js"
CLIENT_ID, CLIENT_SECRET = "playground", "playground-client-secret"


def new_signing_key() -> tuple[rsa.RSAPrivateKey, dict]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private, as_dict=True)
    # PyJWT writes key_ops ["sign"]; the provider would then not verify with it either
    # (its own ID tokens, as id_token_hint at sign-out).
    jwk.pop("key_ops", None)
    return private, {**jwk, "kid": uuid.uuid4().hex[:12], "alg": "RS256", "use": "sig"}


@dataclass
class Idp:
    url: str
    folder: Path
    process: subprocess.Popen
    private_key: rsa.RSAPrivateKey
    kid: str
    accounts: dict = field(default_factory=dict)

    def set_account(self, login: str, **claims) -> None:
        self.accounts[login] = {
            "email": f"{login}@example.com",
            "email_verified": True,
            "preferred_username": login,
            "name": login.title(),
            "groups": [],
            **claims,
        }
        (self.folder / "accounts.json").write_text(json.dumps(self.accounts))

    def env(self, n: int = 1, provider_id: str = "idp") -> dict[str, str]:
        """The OIDC_<n>_* variables of a Playground that signs in here."""
        return {
            f"OIDC_{n}_ISSUER": self.url,
            f"OIDC_{n}_CLIENT_ID": CLIENT_ID,
            f"OIDC_{n}_SECRET": CLIENT_SECRET,
            f"OIDC_{n}_LABEL": "Test IdP",
            f"OIDC_{n}_ID": provider_id,
            f"OIDC_{n}_SCOPES": "openid profile email groups",
        }

    def log(self) -> str:
        return (self.folder / "idp.log").read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


def start_idp(
    folder: Path, redirect_uris: list[str], *, port: int | None = None, forged: bool = False
) -> Idp:
    """The provider; `forged`: it publishes another key (same kid) than it signs with."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    private, jwk = new_signing_key()
    (folder / "accounts.json").write_text("{}")
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": [urljoin(uri, "/") for uri in redirect_uris],
    }
    config = {"port": port, "issuer": url, "jwk": jwk, "clients": [client],
              "accounts": str(folder / "accounts.json")}  # fmt: skip
    if forged:
        _other, published = new_signing_key()
        public = {k: published[k] for k in ("kty", "n", "e", "alg", "use")}
        config["published_jwks"] = {"keys": [{**public, "kid": jwk["kid"]}]}
    (folder / "config.json").write_text(json.dumps(config))
    node = shutil.which("node") or "/usr/bin/node"
    with (folder / "idp.log").open("ab") as log:
        process = subprocess.Popen(
            [node, str(JS_DIR / "oidc-idp.mjs"), str(folder / "config.json")],
            cwd=JS_DIR, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    idp = Idp(url=url, folder=folder, process=process, private_key=private, kid=jwk["kid"])
    _wait_until_up(idp)
    return idp


def _wait_until_up(idp: Idp) -> None:
    discovery = f"{idp.url}/.well-known/openid-configuration"
    wait_until_answering(discovery, idp.process, idp.folder / "idp.log", "oidc-idp", seconds=20)


def sign_in_at_idp(authorize_url: str, login: str) -> str:
    """Go through the provider's login and consent pages as `login`, as a browser would;
    returns the callback URL (with code and state) it sends the browser back to."""
    with httpx.Client(timeout=10) as browser:
        url = authorize_url
        for _step in range(12):
            answer = browser.get(url)
            if answer.status_code in (302, 303):
                location = urljoin(url, answer.headers["location"])
                if not location.startswith(authorize_url.split("/auth")[0]):
                    return location  # back to the relying party
                url = location
                continue
            assert answer.status_code == 200, answer.text
            form = {"prompt": "login", "login": login, "password": "any"}
            if 'value="consent"' in answer.text:
                form = {"prompt": "consent"}
            posted = browser.post(url, data=form)
            assert posted.status_code in (302, 303), posted.text
            url = urljoin(url, posted.headers["location"])
    raise AssertionError("the provider never sent the browser back")
