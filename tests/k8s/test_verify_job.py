"""skaffold's post-deploy check: k8s/verify/web-ready-job.yaml, a Job outside every overlay."""

from __future__ import annotations

import json

import pytest
import yaml

from tasks.k8s import schema
from tasks.paths import ROOT
from tests.k8s.manifests import VERIFY_JOB as MANIFEST
from tests.k8s.manifests import PodTemplate, one, verify_job

pytestmark = pytest.mark.k8s


def skaffold_verify() -> dict:
    (check,) = yaml.safe_load((ROOT / "skaffold.yaml").read_text())["verify"]
    return check


@pytest.mark.parametrize("version", schema.versions())
def test_is_schema_valid(version):
    assert schema.validate(MANIFEST.read_text(), version, 1) == []


def test_is_locked_down_as_podsecurity_restricted_requires():
    """Pod level here; the container's settings reach the cluster through skaffold's overrides."""
    t = PodTemplate(verify_job())
    (container,) = t.containers()
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["limits"]["memory"]
    assert t.spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert t.spec["automountServiceAccountToken"] is False
    assert t.spec["restartPolicy"] == "Never"


def test_its_pods_carry_the_labels_the_network_policy_selects(overlay, objects):
    labels = PodTemplate(verify_job()).labels  # skaffold adds its run-id to this very map
    assert labels["app.kubernetes.io/component"] == "verify"
    policy = one(objects, "NetworkPolicy", "verify-egress-web")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    one(objects, "ServiceAccount", PodTemplate(verify_job()).spec["serviceAccountName"])


def test_agrees_with_skaffold_yaml():
    check = skaffold_verify()
    cluster = check["executionMode"]["kubernetesCluster"]
    assert cluster["jobManifestPath"] == str(MANIFEST.relative_to(ROOT))
    (container,) = PodTemplate(verify_job()).containers()
    assert (container["name"], container["image"], container["command"]) == (
        check["container"]["name"],
        check["container"]["image"],
        check["container"]["command"],
    )
    # skaffold swaps the manifest's container for check["container"], then merges `overrides`
    # (RFC 7386: a list is replaced whole), which must put back exactly the manifest's container.
    assert json.loads(cluster["overrides"]) == {"spec": {"template": {"spec": {"containers": [container]}}}}
