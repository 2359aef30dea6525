"""`invoke doctor` and `invoke up` with the real tools this machine has, and fake ones it lacks."""

import os
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tasks import ports
from tasks.devloop.diagnosis import SKAFFOLD_SCHEMA, find_cluster
from tasks.services.reach import free_port
from tests.checks.cli import invoke_here


def fake_tool(directory, name: str, output: str, code: int = 0) -> None:
    script = directory / name
    script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


# Every isolated() world lives in here, removed when the test process ends (they were left in /tmp, thousands).
WORLDS = tempfile.TemporaryDirectory(prefix="doctor-worlds-")


def isolated(kubeconfig: str = "") -> dict[str, str]:
    """No test cluster, no kube kit and only the given kubeconfig: the doctor sees just what a test sets up."""
    tmp_path = Path(tempfile.mkdtemp(dir=WORLDS.name))
    config = tmp_path / "kubeconfig"
    config.write_text(kubeconfig or "apiVersion: v1\nkind: Config\n")
    return {
        "SHIPYARD_CLUSTER_DIR": str(tmp_path / "no-cluster" / "run"),
        "SHIPYARD_KUBE_DIR": str(tmp_path / "no-kit"),
        "KUBECONFIG": str(config),
        # Nothing listens there: the doctor's registry probe stays on this machine and finds no registry.
        "SHIPYARD_REGISTRY_PROBE": f"127.0.0.1:{free_port()}",
    }


def run_invoke(*args: str, path: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    world = env if env is not None else isolated()
    return invoke_here(*args, env={**os.environ, **world, "PATH": path})


def lines_for(result, tool: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.split(":")[0].endswith(f" {tool}")]


def test_without_a_cluster_or_a_way_to_start_one_doctor_names_each_with_its_fix(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_invoke("doctor", path=f"{empty}:/usr/bin:/bin")
    assert result.returncode == 1
    (cluster,) = lines_for(result, "cluster")
    assert cluster.startswith(
        "FAIL cluster: no current kubectl context, and nothing here can start one; install minikube"
    )
    (skaffold,) = lines_for(result, "skaffold")
    assert "install skaffold" in skaffold
    assert "doctor: the dev loop cannot run until" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_up_fails_cleanly_with_the_doctors_lines(tmp_path):
    result = run_invoke("up", path=f"{tmp_path}:/usr/bin:/bin")
    assert result.returncode == 1
    assert lines_for(result, "cluster")[0].startswith("FAIL")
    assert "Traceback" not in result.stdout + result.stderr


def test_tilt_mode_checks_tilt_instead_of_skaffold(tmp_path):
    result = run_invoke("doctor", "--tilt", path=f"{tmp_path}:/usr/bin:/bin")
    assert lines_for(result, "tilt")[0].startswith("FAIL tilt: not found; install tilt")
    assert lines_for(result, "skaffold") == []


def test_versions_are_checked_not_just_presence(tmp_path):
    fake_tool(tmp_path, "minikube", "v1.20.0")
    fake_tool(tmp_path, "skaffold", "skaffold/v4beta11\nskaffold/v4beta12")
    fake_tool(tmp_path, "tilt", "v0.20.1, built 2021-01-01")
    result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin")
    assert lines_for(result, "minikube") == [
        "FAIL minikube: 1.20.0 is too old; install minikube >= 1.32: https://minikube.sigs.k8s.io/docs/start/"
    ]
    assert f"does not read {SKAFFOLD_SCHEMA}" in lines_for(result, "skaffold")[0]
    tilt = run_invoke("doctor", "--tilt", path=f"{tmp_path}:/usr/bin:/bin")
    assert "0.20.1 is too old" in lines_for(tilt, "tilt")[0]


@pytest.mark.docker
def test_with_stand_ins_for_minikube_and_skaffold_the_doctor_passes(tmp_path):
    # minikube is on none of these machines: stand-ins say what the doctor needs. The real skaffold, tilt and
    # kubectl are read in tests/cluster/test_commands.py (test_doctor_reads_the_real_tools_versions).
    fake_tool(tmp_path, "minikube", "v1.34.0")
    fake_tool(tmp_path, "skaffold", f"skaffold/v4beta13\n{SKAFFOLD_SCHEMA}")
    path = f"{tmp_path}:{os.environ['PATH']}"
    result = run_invoke("doctor", path=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_for(result, "docker")[0].startswith("ok   docker: engine")
    assert lines_for(result, "minikube") == ["ok   minikube: 1.34.0"]
    assert result.stdout.strip().endswith("doctor: ready for the dev loop")


def kubeconfig_for(context: str) -> str:
    # A cluster that refuses connections at once: the doctor classifies it by name and KEP-1755 alone.
    return f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:1"}}}}]
users: [{{name: u, user: {{token: x}}}}]
contexts: [{{name: {context}, context: {{cluster: c, user: u}}}}]
current-context: {context}
"""


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("kind-dev", "ok   cluster: kind, context kind-dev: loads each image into the nodes (kind load)"),
        ("k3d-dev", "ok   cluster: k3d, context k3d-dev: loads each image into the nodes (k3d image import)"),
        ("docker-desktop", "ok   cluster: docker-desktop, context docker-desktop: builds into Docker Desktop's engine"),
        ("minikube", "ok   cluster: minikube, context minikube: builds into minikube's own Docker engine"),
        ("prod-eu-1", "FAIL cluster: context 'prod-eu-1' is not a local cluster (minikube, kind-*, k3d-*"),
    ],
)
def test_doctor_says_which_cluster_it_found_and_what_the_loop_will_do(tmp_path, monkeypatch, context, expected):
    # The doctor's cluster line alone (its other checks are the other tests'): as `invoke doctor` finds it.
    for name, value in {**isolated(kubeconfig_for(context)), "PATH": f"{tmp_path}:/usr/bin:/bin"}.items():
        monkeypatch.setenv(name, value)
    _, _, cluster = find_cluster()
    assert cluster.line().startswith(expected), cluster.line()


@pytest.mark.host_ports
def test_a_taken_web_port_is_named(tmp_path):
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", ports.WEB))
            listener.listen()
        except OSError:
            pass  # already taken by something else: the doctor must say so all the same
        result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin")
    (line,) = lines_for(result, "ports")
    assert line.startswith(f"FAIL ports: 127.0.0.1:{ports.WEB} ")  # and the debugpy port too, where something holds it
    forwards = f"web ({ports.WEB}) and debugpy ({ports.DEBUGPY})"
    assert line.endswith(f" in use; the loop forwards {forwards} there: stop what listens (ss -ltnp)")


def test_no_registry_route_means_the_offline_base(tmp_path):
    result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin")
    (line,) = lines_for(result, "registry")
    assert line.startswith("ok   registry: no public registry (127.0.0.1:"), line
    assert line.endswith("Connection refused): builds on shipyard-base:bookworm"), line
    assert len(lines_for(result, "base")) == 1  # the offline base is checked


def test_a_registry_that_answers_means_the_official_base(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        world = {**isolated(), "SHIPYARD_REGISTRY_PROBE": f"127.0.0.1:{listener.getsockname()[1]}"}
        result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin", env=world)
    (line,) = lines_for(result, "registry")
    assert line.endswith("answers: builds on python:3.11-slim-bookworm"), line
    assert lines_for(result, "base") == []  # the build pulls its base


def test_a_malformed_registry_probe_is_one_line_with_the_fix(tmp_path):
    world = {**isolated(), "SHIPYARD_REGISTRY_PROBE": "no-port-here"}
    result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin", env=world)
    assert lines_for(result, "registry") == [
        "FAIL registry: SHIPYARD_REGISTRY_PROBE='no-port-here' is not host:port; set it like registry-1.docker.io:443"
    ]
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr


@pytest.mark.docker
def test_an_engine_that_does_not_answer_is_started_by_up_or_named_with_its_fix(tmp_path):
    world = {**isolated(), "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    result = run_invoke("doctor", path=os.environ["PATH"], env=world)
    (line,) = lines_for(result, "docker")
    if os.geteuid() == 0:  # dockerd is installed here (the test needs Docker): up starts it
        assert line == "ok   docker: the engine is installed but not running; invoke up starts dockerd"
    else:
        assert line.startswith("FAIL docker: the engine does not answer (") and "start it:" in line, line


@pytest.mark.docker
def test_a_missing_base_is_built_by_up_or_named_with_its_fix(monkeypatch):
    from tasks.devloop.diagnosis import check_base

    absent = f"shipyard-base:absent-{os.getpid()}"
    found = check_base(True, absent)
    assert found is not None
    if os.geteuid() == 0:
        assert found.line() == f"ok   base: {absent} is missing; invoke up builds it from Debian packages (debootstrap)"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no /usr/sbin/debootstrap
    assert check_base(True, absent).line() == (
        f"FAIL base: {absent} is missing and needs root and debootstrap to build: run `sudo ./bin/setup --loop`, "
        "then `sudo .venv/bin/invoke image.base --offline`"
    )
    assert check_base(False, absent) is None  # online, the build pulls the official base


def test_with_the_engine_stopped_the_base_is_not_called_missing(monkeypatch, tmp_path):
    from tasks.devloop.diagnosis import check_base

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")  # the engine does not answer
    line = check_base(True, "shipyard-base:bookworm").line()
    assert line.startswith("ok   base: shipyard-base:bookworm: not looked for, the engine does not answer; "), line
    assert "missing" not in line.split(";")[0]


def test_a_kubectl_whose_version_cannot_be_read_fails(tmp_path, monkeypatch):
    from tasks.devloop import diagnosis

    fake_tool(tmp_path, "kubectl", "Segmentation fault", code=139)
    monkeypatch.setattr(diagnosis, "kubectl_path", lambda: str(tmp_path / "kubectl"))
    finding = diagnosis.check_kubectl()
    assert not finding.ok and finding.detail.startswith("cannot read its version from 'Segmentation fault"), finding
