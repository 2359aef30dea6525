"""Run a pod from tasks/containers/podspec.py as Docker containers, the way kubelet would.

- emptyDirs are host directories (as kubelet makes them), world-writable, shared by the
  pod's init and main containers; medium Memory is a tmpfs.
- Each container gets its manifest's argv, env, uid:gid, read-only root, dropped
  capabilities and no-new-privileges; `--network host` reaches PostgreSQL and Redis on
  127.0.0.1, and the in-cluster Service names resolve there too (--add-host).
- Init containers run to completion, in order, before the main containers start.
- Stopping honours preStop and terminationGracePeriodSeconds: preStop, SIGTERM, then SIGKILL.
- Host networking shares ports, so a pod starts only once its declared ports are free. The one
  port every workload declares alike, `metrics`, is moved to a free one (METRICS_PORT), as each
  pod's own network namespace would keep them apart: see `metrics_port`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tasks.containers.podspec import Container, Pod
from tasks.services.reach import free_port, port_open

# Service names the dev overlay's env points at, served on this host's loopback in tests.
LOOPBACK_SERVICES = ("postgres", "redis")
PORT_WAIT_SECONDS = 60


def wait_ports_free(ports: list[int], seconds: float = PORT_WAIT_SECONDS) -> None:
    """Host networking shares ports: wait for a previous pod's server to let go of them."""
    deadline = time.monotonic() + seconds
    while busy := [port for port in ports if port_open("127.0.0.1", port)]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"127.0.0.1 ports {busy} are still in use after {seconds:.0f}s: stop what listens there")
        time.sleep(0.25)


def docker(*args: str, timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, timeout=timeout, input=input)


@dataclass
class RunningPod:
    pod: Pod
    image: str
    env_overrides: dict[str, str] = field(default_factory=dict)
    prefix: str = field(default_factory=lambda: f"shipyard-test-{uuid.uuid4().hex[:8]}")
    volume_root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="shipyard-pod-")))
    names: dict[str, str] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)  # container -> the port it serves metrics on

    def metrics_env(self, container: Container) -> dict[str, str]:
        if "metrics" not in container.ports:
            return {}
        if container.name not in self.metrics_ports:
            self.metrics_ports[container.name] = free_port()
        return {"METRICS_PORT": str(self.metrics_ports[container.name])}

    def argv(self, container: Container, detach: bool) -> list[str]:
        image = self.image if container.uses_app_image else container.image
        argv = ["run", "--name", f"{self.prefix}-{container.name}", "--network", "host"]
        argv += ["--detach"] if detach else []
        argv += ["--stop-timeout", str(self.pod.grace_seconds)]
        if container.user is not None:
            argv += ["--user", f"{container.user}:{container.group if container.group is not None else container.user}"]
        argv += ["--read-only"] if container.read_only else []
        argv += ["--cap-drop", "ALL"] if container.drop_all else []
        argv += ["--security-opt", "no-new-privileges"] if container.no_new_privileges else []
        for host in LOOPBACK_SERVICES:
            argv += ["--add-host", f"{host}:127.0.0.1"]
        for volume, path in container.mounts:
            if self.pod.empty_dirs[volume] == "Memory":
                argv += ["--tmpfs", f"{path}:mode=1777"]
            else:
                argv += ["--mount", f"type=bind,src={self.volume_root / volume},dst={path}"]
        for key, value in {**container.env, **self.metrics_env(container), **self.env_overrides}.items():
            argv += ["--env", f"{key}={value}"]
        if container.argv:
            argv += ["--entrypoint", container.argv[0], image, *container.argv[1:]]
        else:
            argv += [image]
        return argv

    def start(self) -> None:
        for volume in self.pod.empty_dirs:
            path = self.volume_root / volume
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o1777)  # kubelet's emptyDir: writable by any uid
        for container in self.pod.init_containers:
            result = docker(*self.argv(container, detach=False), timeout=300)
            self.names[container.name] = f"{self.prefix}-{container.name}"
            if result.returncode != 0:
                raise RuntimeError(
                    f"init container {container.name} failed: {result.stderr.decode()}{self.logs(container.name)}"
                )
        wait_ports_free([port for c in self.pod.containers for name, port in c.ports.items() if name != "metrics"])
        for container in self.pod.containers:
            result = docker(*self.argv(container, detach=True))
            if result.returncode != 0:
                raise RuntimeError(f"docker run {container.name} failed: {result.stderr.decode().strip()}")
            self.names[container.name] = f"{self.prefix}-{container.name}"

    @property
    def main(self) -> str:
        return self.pod.containers[0].name

    def container_name(self, container: str | None = None) -> str:
        return self.names[container or self.main]

    def wait(self, container: str | None = None, timeout: float = 300) -> int:
        result = docker("wait", self.container_name(container), timeout=timeout)
        return int(result.stdout.decode().strip())

    def running(self, container: str | None = None) -> bool:
        result = docker("inspect", "--format", "{{.State.Running}}", self.container_name(container))
        return result.stdout.decode().strip() == "true"

    def exec(self, *argv: str, container: str | None = None, input: bytes | None = None, user: str | None = None):
        args = ["exec", "-i"] + (["--user", user] if user else []) + [self.container_name(container), *argv]
        return docker(*args, input=input)

    def logs(self, container: str | None = None) -> str:
        result = docker("logs", self.container_name(container))
        return (result.stdout + result.stderr).decode(errors="replace")

    def stop(self, container: str | None = None) -> tuple[int, float]:
        """preStop, then SIGTERM, SIGKILL after the grace period: (exit code, seconds taken)."""
        spec = next(c for c in self.pod.containers if c.name == (container or self.main))
        started = time.monotonic()
        if spec.pre_stop and "sleep" in spec.pre_stop:
            time.sleep(spec.pre_stop["sleep"]["seconds"])
        elif spec.pre_stop and "exec" in spec.pre_stop:
            self.exec(*spec.pre_stop["exec"]["command"], container=spec.name)
        remaining = max(1, round(self.pod.grace_seconds - (time.monotonic() - started)))
        docker("stop", "--time", str(remaining), self.container_name(spec.name), timeout=remaining + 30)
        return self.wait(spec.name), time.monotonic() - started

    def remove(self) -> None:
        for name in self.names.values():
            docker("rm", "--force", name)
        self.names.clear()
        # Files the containers wrote belong to their uid; root removes them here.
        shutil.rmtree(self.volume_root, ignore_errors=True)
