"""Is a service reachable, which port is free? Shared by the tasks and the tests."""

import random
import shutil
import socket
import subprocess


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def docker_running() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


# Ports the kernel never hands out as a connection's source port: below its ephemeral range
# (and below Kubernetes' NodePort range). A port picked from the ephemeral range can be taken by
# any outgoing connection between the pick and the server's bind (CI saw debugpy's own do it).
_PICK_FROM = range(10000, 30000)
_picker = random.Random()


def free_port() -> int:
    """A loopback port nothing listens on now, and no outgoing connection will take meanwhile."""
    for _ in range(200):
        port = _picker.choice(_PICK_FROM)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free loopback port in {_PICK_FROM.start}-{_PICK_FROM.stop - 1}")
