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

from tasks import ports
from tasks.cluster import datastores, registry
from tasks.cluster import layout as test_cluster_layout
from tasks.devloop import loop_readiness, registry_probe, targets
from tasks.image import debian_base
from tasks.image.builds import OFFICIAL_BASE
from tasks.services.reach import port_open

SKAFFOLD_SCHEMA = "skaffold/v4beta14"  # skaffold.yaml's apiVersion
MIN_TILT = (0, 33, 0)
MIN_MINIKUBE = (1, 32, 0)
LOOP_PORTS = (ports.WEB, ports.DEBUGPY)  # web and debugpy, forwarded to 127.0.0.1 (README, .vscode/launch.json)
INSTALL = {
    "docker": "install Docker Engine and start it (sudo ./bin/setup --loop, or sudo apt-get install docker.io)",
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


def can_start_dockerd() -> bool:
    """`invoke up` starts the engine itself where it is installed and we are root (tasks/services/daemons.py)."""
    return shutil.which("dockerd") is not None and os.geteuid() == 0


def check_docker() -> Finding:
    if not shutil.which("docker"):
        return Finding("docker", False, f"not found; {INSTALL['docker']}")
    code, out = _run("docker", "version", "--format", "{{.Server.Version}}")
    if code != 0:
        if can_start_dockerd():
            return Finding("docker", True, "the engine is installed but not running; invoke up starts dockerd")
        if not shutil.which("dockerd"):
            return Finding("docker", False, f"the client is here, the engine is not; {INSTALL['docker']}")
        why = out.splitlines()[-1] if out else "no answer"
        return Finding("docker", False, f"the engine does not answer ({why}); start it: sudo systemctl start docker")
    return Finding("docker", True, f"engine {out}")


def check_registry(offline: bool | None) -> tuple[Finding, bool]:
    """Whether the build can pull the official base; (finding, offline). --offline/--online skip the probe."""
    if offline is not None:
        flag, base = ("--offline", debian_base.BASE_TAG) if offline else ("--online", OFFICIAL_BASE)
        return Finding("registry", True, f"not probed ({flag}): builds on {base}"), offline
    try:
        answer = registry_probe.probe()
    except ValueError as error:
        return Finding("registry", False, str(error)), True
    if answer.online:
        return Finding("registry", True, f"{answer.detail}: builds on {OFFICIAL_BASE}"), False
    return Finding("registry", True, f"no public registry ({answer.detail}): builds on {debian_base.BASE_TAG}"), True


def check_base(offline: bool, tag: str = debian_base.BASE_TAG) -> Finding | None:
    """The offline base: there, or buildable here by `invoke up` (root and debootstrap)."""
    if not offline:
        return None
    code, out = _run("docker", "image", "inspect", "--format", "{{.Id}}", tag)
    if code == 0:
        return Finding("base", True, f"{tag} is built")
    buildable = os.geteuid() == 0 and shutil.which("debootstrap")
    if "no such image" not in out.lower():  # no answer from the engine (its own line says why): not known yet
        later = "invoke up looks once it has started the engine, builds it if missing" if buildable else "see docker"
        return Finding("base", True, f"{tag}: not looked for, the engine does not answer; {later}")
    if buildable:
        return Finding("base", True, f"{tag} is missing; invoke up builds it from Debian packages (debootstrap)")
    return Finding(
        "base",
        False,
        f"{tag} is missing and needs root and debootstrap to build: "
        "run `sudo ./bin/setup --loop`, then `sudo .venv/bin/invoke image.base --offline`",
    )


def check_datastores(
    target: targets.Target | None, starting_test_cluster: bool, offline: bool, wanted: dict[str, str] | None = None
) -> Finding | None:
    """The test cluster's registry holds the PostgreSQL and Redis images the dev overlay pulls, or up can add them."""
    if not starting_test_cluster and (target is None or target.kind != "test-cluster"):
        return None  # minikube, kind...: their nodes pull from Docker Hub, as the README says
    images = wanted or datastores.wanted()
    names = ", ".join(f"{name}:{tag}" for name, tag in images.items())
    missing = (
        list(images)
        if target is None
        else [name for name, tag in images.items() if not registry.has(target.registry, f"library/{name}", tag)]
    )
    if not missing:
        return Finding("datastores", True, f"{names} are in the cluster's registry {target.registry}")
    absent = ", ".join(f"{name}:{images[name]}" for name in missing)
    where = "the new cluster's registry" if target is None else f"the registry {target.registry}"
    kit = test_cluster_layout.current().kit_dir / "images"
    if all((kit / name / "Dockerfile").is_file() for name in missing):
        return Finding("datastores", True, f"{absent} not yet in {where}; invoke up builds them ({kit}), pushes them")
    if not offline:
        return Finding("datastores", True, f"{absent} not yet in {where}; invoke up pulls and pushes them")
    return Finding(
        "datastores",
        False,
        f"{absent} not in {where}, and with no registry and no stand-in Dockerfiles in "
        f"{kit} they cannot be made: set SHIPYARD_KUBE_DIR to the kube kit's folder",
    )


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
    code, out = _run(kubectl, "version", "--client")
    version = _version(out) if code == 0 else None
    if version is None:
        return Finding("kubectl", False, f"cannot read its version from {out[:80]!r}; {INSTALL['kubectl']}")
    return Finding("kubectl", True, _dotted(version))


def check_cluster(target: targets.Target | None, why: str, starter: str) -> Finding:
    """Which local cluster the loop will use and how images reach it, or how `up` would start one."""
    if target is not None:
        return Finding("cluster", True, f"{target.kind}, context {target.context}: {target.plan}")
    if starter:
        return Finding("cluster", True, f"none yet ({why}); invoke up starts {starter}")
    return Finding("cluster", False, f"{why}, and nothing here can start one; {INSTALL['cluster']}")


def find_cluster() -> tuple[targets.Target | None, str, Finding]:
    """The cluster the loop will use, else what `invoke up` would start ("" when one runs), and the doctor's line."""
    target, why = targets.find()
    starter = "" if target else targets.starter()
    return target, starter, check_cluster(target, why, starter)


def check_ports() -> Finding:
    taken = [port for port in LOOP_PORTS if port_open("127.0.0.1", port)]
    if taken:
        where = " and ".join(f"127.0.0.1:{port}" for port in taken)
        forwards = f"the loop forwards web ({ports.WEB}) and debugpy ({ports.DEBUGPY}) there"
        return Finding("ports", False, f"{where} in use; {forwards}: stop what listens (ss -ltnp)")
    return Finding("ports", True, f"127.0.0.1:{ports.WEB} (web) and :{ports.DEBUGPY} (debugpy) are free")


def check_database(target: targets.Target | None, namespace: str) -> Finding | None:
    """When a loop runs: is its database ahead of this checkout (a branch switch), as its web's /readyz says."""
    answer = loop_readiness.readyz(target, namespace) if target is not None else None
    if answer is None:
        return None
    ahead = answer.get("unknown_migrations") or []
    if ahead:
        return Finding(
            "database",
            False,
            f"has {len(ahead)} migration(s) this checkout lacks: {', '.join(ahead)}; {answer.get('fix', '')}",
        )
    if answer.get("status") != "ok":
        return Finding("database", False, f"the running loop's web is not ready: failing {answer.get('failing')}")
    return Finding("database", True, "the running loop's database has exactly this checkout's migrations")


def check_skaffold() -> Finding:
    if not shutil.which("skaffold"):
        return Finding("skaffold", False, f"not found; {INSTALL['skaffold']}")
    code, out = _run("skaffold", "schema", "list")
    if code != 0 or SKAFFOLD_SCHEMA not in out.split():
        return Finding("skaffold", False, f"does not read {SKAFFOLD_SCHEMA}; {INSTALL['skaffold']}")
    _, version = _run("skaffold", "version")
    return Finding("skaffold", True, f"{version} (reads {SKAFFOLD_SCHEMA})")


def check_kit_tool(tool: str) -> Finding | None:
    """skaffold and tilt come with the kube kit, unpacked when the test cluster starts."""
    packed = test_cluster_layout.current().kit_dir / "bin" / f"{tool}.xz"
    return Finding(tool, True, f"comes with the test cluster ({packed})") if packed.is_file() else None


@dataclass(frozen=True)
class Diagnosis:
    findings: list[Finding]
    target: targets.Target | None  # the cluster the loop will use, if one runs
    starter: str  # what `invoke up` starts when none runs ("" when one runs)
    offline: bool  # build on the debootstrap base: no public registry answers (or --offline)


def diagnose(tilt: bool = False, offline: bool | None = None, namespace: str | None = None) -> Diagnosis:
    """Every tool the loop needs (skaffold by default, tilt with tilt=True), the cluster, the engine, the base
    image, the datastore images, the ports; and what `invoke up` would use or start. With NAMESPACE (the
    doctor's, "" for the context's own), also a running loop's database: `up` starts a loop, it checks none."""
    target, starter, cluster = find_cluster()
    if target is not None and "PATH" in target.env:
        # The test cluster brings its own skaffold and tilt: look for the tools where the loop will.
        os.environ["PATH"] = target.env["PATH"]
    starting_test_cluster = starter.startswith("the project's test cluster")
    registry_line, offline = check_registry(offline)
    findings = [cluster, check_docker(), registry_line, check_kubectl()]
    findings += [f for f in (check_base(offline), check_datastores(target, starting_test_cluster, offline)) if f]
    if starter == "minikube":
        findings.append(check_versioned("minikube", ["minikube", "version", "--short"], MIN_MINIKUBE))
    tool = "tilt" if tilt else "skaffold"
    kit_tool = check_kit_tool(tool) if starting_test_cluster and not shutil.which(tool) else None
    findings.append(kit_tool or (check_versioned("tilt", ["tilt", "version"], MIN_TILT) if tilt else check_skaffold()))
    findings.append(check_ports())
    if namespace is not None:
        findings += [f for f in (check_database(target, namespace),) if f]
    return Diagnosis(findings, target, starter, offline)


def report(tilt: bool = False, offline: bool | None = None, namespace: str | None = None) -> Diagnosis:
    """Print the doctor's lines; exit non-zero when the loop cannot run. What the loop will use."""
    diagnosis = diagnose(tilt=tilt, offline=offline, namespace=namespace)
    conclude(diagnosis.findings)
    return diagnosis


def conclude(findings: list[Finding]) -> None:
    """Print each finding's line; exit non-zero, naming what failed, unless every one is ok."""
    for finding in findings:
        print(finding.line(), flush=True)
    failed = [f.tool for f in findings if not f.ok]
    if failed:
        raise Exit(
            f"doctor: the dev loop cannot run until {', '.join(failed)} {'is' if len(failed) == 1 else 'are'} fixed",
            code=1,
        )
    print("doctor: ready for the dev loop", flush=True)
