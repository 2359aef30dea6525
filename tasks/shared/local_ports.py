"""The developer's own local ports while several loops run on one machine: given, or the first free one from the
usual port up, so one developer's forward never takes another's."""

from __future__ import annotations

import socket

from tasks.shared.errors import SharedError

TILT_UI = 10350  # tilt up's web UI and API server


def free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def first_free(start: int, tries: int = 100) -> int:
    for port in range(start, start + tries):
        if free(port):
            return port
    raise SharedError(f"no free local port in {start}-{start + tries - 1}: stop a loop or pass --web-port")


def given_or_free(given: int, start: int, what: str) -> int:
    if not given:
        return first_free(start)
    if not 0 < given < 65536:
        raise SharedError(f"--{what} {given} is no TCP port: give one from 1024 to 65535")
    if not free(given):
        raise SharedError(f"127.0.0.1:{given} is in use: pass another --{what}, or leave it out to get a free one")
    return given
