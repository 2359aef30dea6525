"""staging and prod are accepted by a real API server (server-side dry run), with their out-of-band
Secrets created exactly as k8s/README.md says, and the Prometheus Operator's PodMonitor kind known.

The operator's CRDs are not ours to copy, so the kind is registered by a stand-in of our own that
accepts any spec: this proves the rest of each overlay and where its PodMonitors go (their group,
version, namespace); their fields are checked against the operator's schema by `invoke k8s.validate`."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tasks.cluster.client import env, kubectl
from tasks.k8s import kustomize
from tasks.paths import ROOT
from tests.cluster.commands import delete_namespace, restricted_namespace

pytestmark = pytest.mark.cluster


def readme_secret_commands(ns: str) -> str:
    """The shell block of k8s/README.md's "Secrets" section, for namespace NS."""
    section = (ROOT / "k8s" / "README.md").read_text().split("## Secrets", 1)[1]
    (block,) = re.findall(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    assert "--namespace shipyard" in block
    return block.replace("--namespace shipyard", f"--namespace {ns}")


PODMONITOR_STAND_IN = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "podmonitors.monitoring.coreos.com"},
    "spec": {
        "group": "monitoring.coreos.com",
        "scope": "Namespaced",
        "names": {
            "kind": "PodMonitor",
            "listKind": "PodMonitorList",
            "plural": "podmonitors",
            "singular": "podmonitor",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}


@pytest.fixture(scope="module")
def podmonitor_kind(cluster_session):
    """The PodMonitor kind registered, as the Prometheus Operator's CRDs would (k8s/README.md, Monitoring)."""
    cluster = cluster_session.ensure()
    kubectl(cluster, "apply", "-f", "-", input=json.dumps(PODMONITOR_STAND_IN))
    name = PODMONITOR_STAND_IN["metadata"]["name"]
    kubectl(cluster, "wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
    yield
    kubectl(cluster, "delete", "crd", name, "--wait=false", check=False)


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_the_api_server_accepts_the_overlay_with_its_secrets_made_as_documented(
    cluster, podmonitor_kind, overlay, tmp_path
):
    ns = restricted_namespace(cluster, overlay)
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=app.example.com",
                "-keyout",
                "tls.key",
                "-out",
                "tls.crt",
            ],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        made = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_secret_commands(ns)],
            cwd=tmp_path,
            env=env(cluster),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        kubectl(cluster, "-n", ns, "get", "secret", "app-secrets", "web-tls")
        applied = kubectl(
            cluster, "-n", ns, "apply", "--dry-run=server", "-f", "-", input=kustomize.render_yaml(overlay), check=False
        )
        assert applied.returncode == 0, applied.stderr
        lines = applied.stdout.splitlines()
        assert len(lines) == len(kustomize.render(overlay)) and all("(server dry run)" in line for line in lines)
    finally:
        delete_namespace(cluster, ns)
