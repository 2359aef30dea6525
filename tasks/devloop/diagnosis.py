"""Can the dev loop run here? One line per missing or wrong tool, with the exact fix."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from invoke.exceptions import Exit

from tasks.devloop import targets
from tasks.services.reach import port_open

SKAFFOLD_SCHEMA = "skaffold/v4beta14"  # skaffold.yaml's apiVersion
MIN_TILT = (0, 33, 0)
MIN_MINIKUBE = (1, 32, 0)
LOOP_PORTS = (8000, 5678)  # web and debugpy, forwarded to 127.0.0.1 (README, .vscode/launch.json)
INSTALL = {
    "docker": "install Docker Engine and start it (sudo apt-get install docker.io && sudo systemctl start docker)",
    "minikube": "install minikube >= 1.32: https://minikube.sigs.k8s.io/docs/start/",
    "cluster": "install minikube (minikube.sigs.k8s.io/docs/start) or kind, or point kubectl at a local cluster",
    "kubectl": "run ./bin/setup (installs the pinned kubectl into .venv)",
    "skaffold": "install skaffold >= 2.17 (reads skaffold/v4beta14): https://skaffold.dev/docs/install/",
    "tilt": "install tilt >= 0.33: https://docs.tilt.dev/install.html",
}


@dataclass(frozen=True)
class Finding:
    tool: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.tool}: {self.detail}"


def _run(*argv: str, timeout: float = 20) -> tuple[int, str]:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return result.returncode, (result.stdout + result.stderr).strip()


def _version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(part) for part in match.groups()) if match else None


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def kubectl_path() -> str | None:
    """The pinned kubectl next to this Python (the .venv), else the one on PATH."""
    pinned = Path(sys.executable).with_name("kubectl")
    return str(pinned) if pinned.exists() else shutil.which("kubectl")


def check_docker() -> Finding:
    if not shutil.which("docker"):
        return Finding("docker", False, f"not found; {INSTALL['docker']}")
    code, out = _run("docker", "version", "--format", "{{.Server.Version}}")
    if code != 0:
        why = out.splitlines()[-1] if out else "no answer"
        return Finding("docker", False, f"the engine does not answer ({why}); start it: sudo systemctl start docker")
    return Finding("docker", True, f"engine {out}")


def check_versioned(tool: str, argv: list[str], minimum: tuple[int, ...]) -> Finding:
    if not shutil.which(tool):
        return Finding(tool, False, f"not found; {INSTALL[tool]}")
    _, out = _run(*argv)
    version = _version(out)
    if version is None:
        return Finding(tool, False, f"cannot read its version from {out[:80]!r}; {INSTALL[tool]}")
    if version < minimum:
        return Finding(tool, False, f"{_dotted(version)} is too old; {INSTALL[tool]}")
    return Finding(tool, True, _dotted(version))


def check_kubectl() -> Finding:
    kubectl = kubectl_path()
    if kubectl is None:
        return Finding("kubectl", False, f"not found; {INSTALL['kubectl']}")
    _, out = _run(kubectl, "version", "--client")
    return Finding("kubectl", True, _dotted(_version(out) or (0, 0, 0)))


def check_cluster(target: targets.Target | None, why: str, starter: str) -> Finding:
    """Which local cluster the loop will use and how images reach it, or how `up` would start one."""
    if target is not None:
        return Finding("cluster", True, f"{target.kind}, context {target.context}: {target.plan}")
    if starter:
        return Finding("cluster", True, f"none yet ({why}); invoke up starts {starter}")
    return Finding("cluster", False, f"{why}, and nothing here can start one; {INSTALL['cluster']}")


def check_ports() -> Finding:
    taken = [port for port in LOOP_PORTS if port_open("127.0.0.1", port)]
    if taken:
        ports = " and ".join(f"127.0.0.1:{port}" for port in taken)
        return Finding("ports", False, f"{ports} in use; the loop forwards web (8000) and debugpy (5678) there: "
                       "stop what listens (ss -ltnp)")  # fmt: skip
    return Finding("ports", True, "127.0.0.1:8000 (web) and :5678 (debugpy) are free")


def check_skaffold() -> Finding:
    if not shutil.which("skaffold"):
        return Finding("skaffold", False, f"not found; {INSTALL['skaffold']}")
    code, out = _run("skaffold", "schema", "list")
    if code != 0 or SKAFFOLD_SCHEMA not in out.split():
        return Finding("skaffold", False, f"does not read {SKAFFOLD_SCHEMA}; {INSTALL['skaffold']}")
    _, version = _run("skaffold", "version")
    return Finding("skaffold", True, f"{version} (reads {SKAFFOLD_SCHEMA})")


def diagnose(tilt: bool = False) -> tuple[list[Finding], targets.Target | None]:
    """Every tool the loop needs (skaffold by default, tilt with tilt=True), the cluster, the ports;
    and the cluster the loop will use, if there is one."""
    target, why = targets.find()
    starter = "" if target else targets.starter()
    if target is not None and "PATH" in target.env:
        # The test cluster brings its own skaffold and tilt: look for the tools where the loop will.
        os.environ["PATH"] = target.env["PATH"]
    findings = [check_cluster(target, why, starter), check_docker(), check_kubectl()]
    if starter == "minikube":
        findings.append(check_versioned("minikube", ["minikube", "version", "--short"], MIN_MINIKUBE))
    findings.append(check_versioned("tilt", ["tilt", "version"], MIN_TILT) if tilt else check_skaffold())
    findings.append(check_ports())
    return findings, target


def report(tilt: bool = False) -> targets.Target | None:
    """Print the doctor's lines; exit non-zero when the loop cannot run. The cluster the loop will use."""
    findings, target = diagnose(tilt=tilt)
    for finding in findings:
        print(finding.line())
    failed = [f.tool for f in findings if not f.ok]
    if failed:
        raise Exit(
            f"doctor: the dev loop cannot run until {', '.join(failed)} {'is' if len(failed) == 1 else 'are'} fixed",
            code=1,
        )
    print("doctor: ready for the dev loop")
    return target
