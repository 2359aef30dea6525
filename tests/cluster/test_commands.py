"""`invoke cluster.status` and a second `cluster.up` on a running cluster; env() for the dev tools."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tasks.cluster import layout
from tasks.cluster.client import env
from tasks.devloop.diagnosis import SKAFFOLD_SCHEMA, kubectl_path
from testcluster import processes
from tests.checks.cli import invoke_here
from tests.support.cluster_commands import cluster_task

pytestmark = pytest.mark.cluster


def test_status_names_the_cluster_its_context_kubeconfig_registry_and_node(cluster):
    result = cluster_task("status", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"running, {cluster.kind}" in out
    assert "context:    shipyard-test" in out
    assert f"kubeconfig: {cluster.kubeconfig}" in out
    assert f"registry:   {cluster.registry} (answering)" in out
    node = "shipyard-test" if cluster.kind == "binaries" else "shipyard-test-control-plane"  # kind names its node
    assert f"node:       {node} Ready" in out


def what_runs(cluster) -> list[tuple[str, str]]:
    """The cluster's running parts and when each started: the binaries' processes, or kind's node container."""
    if cluster.kind == "binaries":
        return [(r.name, str(r.pid)) for r in processes.records(layout.current().pids)]
    inspect = ["docker", "inspect", "-f", "{{.Id}} {{.State.StartedAt}}", f"{layout.NAME}-control-plane"]
    started = subprocess.run(inspect, capture_output=True, text=True, check=False).stdout.split()
    return [tuple(started)] if started else []


def test_up_on_a_running_cluster_says_so_and_changes_nothing(cluster):
    before = what_runs(cluster)
    assert before, f"found nothing of the running {cluster.kind} cluster to compare"
    result = cluster_task("up", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cluster already running, nothing to do" in result.stdout
    assert what_runs(cluster) == before


def test_env_points_kubectl_skaffold_tilt_and_crictl_at_the_cluster(cluster):
    environ = env(cluster)
    assert environ["KUBECONFIG"] == str(cluster.kubeconfig)
    assert environ["SKAFFOLD_DEFAULT_REPO"] == cluster.registry
    for tool in ("kubectl", "skaffold", "tilt"):
        assert shutil.which(tool, path=environ["PATH"]), f"{tool} not on env()'s PATH"
    context = subprocess.run(["kubectl", "config", "current-context"], env=environ, capture_output=True, text=True)
    assert context.stdout.strip() == "shipyard-test", context.stderr
    if cluster.kind == "binaries":  # crictl talks to the cluster's own containerd through CRI_CONFIG_FILE
        pods = subprocess.run(
            ["crictl", "pods", "--name", "coredns", "-q"], env=environ, capture_output=True, text=True
        )
        assert pods.returncode == 0 and pods.stdout.strip(), pods.stderr


@pytest.mark.docker
def test_doctor_reads_the_real_tools_versions(cluster):
    # The fast tests give the doctor stand-in tools; here it reads the real skaffold, tilt and kubectl.
    environ = env(cluster)

    def version_of(*argv: str) -> str:
        return subprocess.run(argv, env=environ, capture_output=True, text=True, check=True).stdout

    skaffold, tilt = invoke_here("doctor", env=environ), invoke_here("doctor", "--tilt", env=environ)
    lines = {line[5:].split(":", 1)[0]: line for line in skaffold.stdout.splitlines() + tilt.stdout.splitlines()}
    assert lines["skaffold"] == f"ok   skaffold: {version_of('skaffold', 'version').strip()} (reads {SKAFFOLD_SCHEMA})"
    tilt_version = version_of("tilt", "version").split(",")[0].removeprefix("v")
    assert lines["tilt"] == f"ok   tilt: {tilt_version}", tilt.stdout
    kubectl = json.loads(version_of(kubectl_path(), "version", "--client", "-o", "json"))["clientVersion"]["gitVersion"]
    assert lines["kubectl"] == f"ok   kubectl: {kubectl.removeprefix('v').split('-')[0]}", skaffold.stdout
