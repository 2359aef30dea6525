"""Does a public container registry answer from here? `invoke up` builds on the offline base when none does.

One TCP connection to Docker Hub's registry (or SHIPYARD_REGISTRY_PROBE=host:port), bounded in time:
no name, no route or no answer within the bound all mean "offline". Nothing is pulled or sent.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

DEFAULT = "registry-1.docker.io:443"
TIMEOUT = 3.0


@dataclass(frozen=True)
class Answer:
    online: bool
    detail: str  # one line: what was tried and what came back


def address() -> tuple[str, int]:
    """The host and port to try: SHIPYARD_REGISTRY_PROBE, else Docker Hub's registry."""
    text = os.environ.get("SHIPYARD_REGISTRY_PROBE", "") or DEFAULT
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"SHIPYARD_REGISTRY_PROBE={text!r} is not host:port; set it like {DEFAULT}")
    return host, int(port)


def probe(timeout: float = TIMEOUT) -> Answer:
    host, port = address()
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return Answer(True, f"{where} answers")
    except socket.gaierror:
        return Answer(False, f"{where}: the name does not resolve")
    except TimeoutError:
        return Answer(False, f"{where}: no answer within {timeout:.0f}s")
    except OSError as error:
        return Answer(False, f"{where}: {error.strerror or error}")
