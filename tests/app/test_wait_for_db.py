"""`manage.py wait_for_db`, what the migrate Job runs first: it waits, bounded, and says why."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading

import pytest

from tasks.paths import APP
from tests.app.test_settings import EMPTY, PROD_ENV
from tests.support.processes import clean_env, free_port, manage

pytestmark = pytest.mark.postgres


def with_port(port: int) -> dict:
    return EMPTY | PROD_ENV | {"DATABASE_URL": f"postgres://shipyard:shipyard@127.0.0.1:{port}/shipyard"}


def test_a_ready_database_returns_at_once():
    result = manage(with_port(5432), "wait_for_db", "--timeout", "10")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("the database at 127.0.0.1:5432 is ready (1 attempts")


def test_a_database_that_never_comes_fails_in_one_line_naming_why():
    port = free_port()
    result = manage(with_port(port), "wait_for_db", "--timeout", "3", "--interval", "0.5")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    # It gives up within its --timeout, by its own clock (the seconds it reports), not at pytest's.
    waited = re.match(rf"CommandError: the database at 127.0.0.1:{port} is still not ready after (\d+)s: ", line)
    assert waited and int(waited[1]) <= 3, line
    assert "Connection refused" in line
    # What it waits for is said once per reason, not once per attempt.
    assert result.stdout.count("waiting for the database") == 1


def forward_when(port: int, ready: threading.Event, stop: threading.Event) -> None:
    """Once READY is set, accept on PORT and pipe each connection to the real PostgreSQL."""
    ready.wait(60)
    with socket.create_server(("127.0.0.1", port)) as server:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", 5432))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def test_a_database_that_comes_up_later_is_waited_for():
    # The database appears only once the command has said it waits: however slowly it starts.
    port, ready, stop = free_port(), threading.Event(), threading.Event()
    threading.Thread(target=forward_when, args=(port, ready, stop), daemon=True).start()
    argv = [sys.executable, "manage.py", "wait_for_db", "--timeout", "60", "--interval", "0.2"]
    waiting = subprocess.Popen(argv, cwd=APP, env=clean_env(with_port(port)), stdout=subprocess.PIPE, text=True)
    try:
        first = waiting.stdout.readline().strip()
        ready.set()
        rest = waiting.communicate(timeout=60)[0].strip().splitlines()
    finally:
        stop.set()
        waiting.kill()
    assert waiting.returncode == 0
    assert first.startswith(f"waiting for the database at 127.0.0.1:{port}: "), first
    assert rest[-1].startswith(f"the database at 127.0.0.1:{port} is ready ("), rest


def test_bad_arguments_are_one_line():
    result = manage(with_port(5432), "wait_for_db", "--timeout", "0")
    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: --timeout and --interval must be positive numbers of seconds"
