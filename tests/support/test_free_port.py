"""free_port's promise: a port no outgoing connection can take before the server binds it."""

from __future__ import annotations

import socket
from pathlib import Path

from tasks.services.reach import free_port


def test_free_ports_lie_below_the_kernels_ephemeral_range_and_are_bindable():
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(20):
        port = free_port()
        assert port < low
        with socket.create_server(("127.0.0.1", port)):
            pass
