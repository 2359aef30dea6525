"""`invoke up`'s watch on the loop (tasks/devloop/supervise.py): the served line the quick start and bench read."""

from __future__ import annotations

import io
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tasks.devloop import supervise
from tasks.devloop.phases import Phases, parse
from tasks.devloop.targets import Target
from tests.support.http_stub import serving


class Web(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    with serving(Web) as address:
        yield f"http://{address}/"


class Writes(io.StringIO):
    """stdout that keeps each write apart, as another process writing to the same pipe would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


def test_the_served_line_is_one_write_with_its_newline(web, monkeypatch):
    # Tilt writes to the same terminal: two writes (print's text, then its end) once let a line of Tilt's in
    # between, and the quick start read "served 1.1s   web │ ..." as a time.
    out = Writes()
    monkeypatch.setattr(supervise.sys, "stdout", out)
    watch = supervise.Watch(Target("kind", "kind-x", "test"), {}, Phases({}), web)
    monkeypatch.setattr(watch, "_pods", list)  # no cluster: no pods, so build and deploy stay unknown
    watch.run()
    (line,) = [call for call in out.calls if "up: served" in call]
    assert line.startswith("up: served ") and line.endswith("\n") and line.count("\n") == 1
    url, _total, phases = parse(line)
    assert url == web and phases["served"] is not None and phases["build"] is None
