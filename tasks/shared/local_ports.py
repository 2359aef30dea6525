"""The developer's own local ports while several loops run on one machine: given, or the first free one from the
usual port up, so one developer's forward never takes another's."""

from __future__ import annotations

import socket

from tasks import ports
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


def web_port_refusal(web_port: int, tilt: bool, namespace: str) -> str | None:
    """Why --web-port cannot be honoured (it was silently ignored), or None: only Tilt on a shared cluster takes it."""
    if not web_port or (tilt and namespace):
        return None
    if not tilt:
        return (
            f"--web-port {web_port} is for Tilt (--tilt --namespace): skaffold forwards web to {ports.WEB}, or to "
            "a free port it picks when that is taken, and up prints where; leave --web-port out"
        )
    return f"--web-port {web_port} is for a shared cluster (--namespace): the local loop forwards web to {ports.WEB}"
