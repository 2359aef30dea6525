"""tasks/shared/registry_access.py against a registry that hands out Bearer tokens, as Harbor, GHCR or a
distribution registry with token auth do (the Docker token flow: 401 with a realm, a token for Basic credentials,
the push with the token). Basic auth is proven against the real docker-registry in tests/cluster.

The registry here is a small HTTP server speaking that protocol on loopback, recording what was asked."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tasks.shared.credentials import Credentials
from tasks.shared.errors import SharedError
from tasks.shared.registry_access import check_push, repository, scheme
from tests.support.http_stub import serving
from tests.support.processes import free_port

RIGHT = Credentials("alice", "s3cret")
TOKEN = "token-for-alice"


class TokenRegistry(BaseHTTPRequestHandler):
    asked: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.asked.append(f"GET {self.path}")
        host = self.headers["Host"]
        if self.path == "/v2/":
            challenge = f'Bearer realm="http://{host}/token",service="test-registry"'
            return self._answer(401, b"{}", {"WWW-Authenticate": challenge})
        if self.path.startswith("/token?"):
            basic = "Basic " + base64.b64encode(f"{RIGHT.username}:{RIGHT.password}".encode()).decode()
            if self.headers.get("Authorization") != basic:
                return self._answer(401, b'{"errors": [{"code": "UNAUTHORIZED"}]}')
            return self._answer(200, f'{{"token": "{TOKEN}"}}'.encode())
        return self._answer(404)

    def do_POST(self) -> None:
        self.asked.append(f"POST {self.path}")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401)
        if self.path.startswith("/v2/readonly/"):
            return self._answer(403, b'{"errors": [{"code": "DENIED"}]}')
        return self._answer(202, headers={"Location": self.path + "upload-1"})

    def do_DELETE(self) -> None:
        self.asked.append(f"DELETE {self.path}")
        self._answer(204)


@pytest.fixture
def registry() -> Iterator[str]:
    TokenRegistry.asked = []
    with serving(TokenRegistry) as address:
        yield address


def test_a_push_is_accepted_with_the_token_and_the_upload_opened_is_cancelled(registry):
    line = check_push(f"{registry}/team", RIGHT)
    assert line == f"{registry} accepts a push to team/shipyard-app from 'alice'"
    assert TokenRegistry.asked == [
        "GET /v2/",
        "GET /token?scope=repository%3Ateam%2Fshipyard-app%3Apush%2Cpull&service=test-registry",
        "POST /v2/team/shipyard-app/blobs/uploads/",
        "DELETE /v2/team/shipyard-app/blobs/uploads/upload-1",
    ]


def test_a_wrong_password_is_one_line_and_nothing_is_pushed(registry):
    with pytest.raises(SharedError) as refused:
        check_push(registry, Credentials("alice", "wrong"))
    assert str(refused.value) == (
        f"registry {registry} refused the credentials of 'alice' from your Docker config: "
        f"run `docker login {registry}` again"
    )
    assert not [asked for asked in TokenRegistry.asked if asked.startswith("POST")]


def test_no_push_rights_there_is_one_line(registry):
    with pytest.raises(SharedError, match=r"lets 'alice' in but not push to readonly/shipyard-app: ask its admin"):
        check_push(f"{registry}/readonly", RIGHT)


def test_a_registry_that_does_not_answer_is_one_line():
    closed = f"127.0.0.1:{free_port()}"
    with pytest.raises(
        SharedError, match=rf"^registry {closed} does not answer at http://{closed} \(.*\): check --registry$"
    ):
        check_push(closed, RIGHT)


def test_the_repository_and_the_scheme():
    assert repository("registry.example.com") == "shipyard-app"
    assert repository("ghcr.io/acme/dev") == "acme/dev/shipyard-app"
    assert scheme("127.0.0.1:5001") == scheme("localhost:5000") == "http"
    assert scheme("registry.example.com") == "https"
