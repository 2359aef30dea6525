"""`invoke cluster.up --datastores` puts the PostgreSQL/Redis stand-ins in the registry under the names the dev
overlay uses, and they run there as it runs them: PostgreSQL as uid 10001 on a claim of the default class."""

from __future__ import annotations

import pytest

from tasks.cluster import datastores, registry
from tests.cluster.commands import apply, delete_namespace, exec_in, namespace, wait_ready
from tests.support.cluster_commands import cluster_task


def test_the_dev_overlay_names_the_stand_ins():
    assert datastores.wanted() == {"postgres": "16.4-bookworm", "redis": "7.4-bookworm"}


@pytest.fixture
def ns(cluster):
    name = namespace(cluster, "cluster-datastores", {"pod-security.kubernetes.io/enforce": "baseline"})
    yield name
    delete_namespace(cluster, name)


@pytest.mark.cluster
@pytest.mark.docker
def test_stand_ins_run_under_their_docker_hub_names(cluster, ns):
    result = cluster_task("up", "--datastores", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, tag in datastores.wanted().items():
        assert registry.has(cluster.registry, f"library/{name}", tag), f"{name}:{tag} not in {cluster.registry}"

    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "pgdata", "namespace": ns},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "256Mi"}}},
    }
    postgres = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "postgres", "namespace": ns},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            # As k8s/components/postgres runs it: uid 10001, PGDATA a subdirectory of the claim.
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001},
            "containers": [
                {
                    "name": "postgres",
                    "image": "postgres:16.4-bookworm",  # through the cluster's docker.io mirror
                    "env": [
                        {"name": "POSTGRES_PASSWORD", "value": "test-only"},
                        {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                    ],
                    "readinessProbe": {
                        "exec": {"command": ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"]},
                        "periodSeconds": 1,
                    },
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "pgdata"}}],
        },
    }
    redis = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "redis", "namespace": ns},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "redis",
                    "image": "redis:7.4-bookworm",
                    "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}, "periodSeconds": 1},
                }
            ],
        },
    }
    apply(cluster, claim, postgres, redis)
    wait_ready(cluster, ns, "postgres", "redis", timeout=180)
    query = exec_in(cluster, ns, "postgres", "psql", "-U", "postgres", "-h", "127.0.0.1", "-tAc", "select 40 + 2")
    assert query.stdout.strip() == "42", query.stdout + query.stderr
    assert exec_in(cluster, ns, "redis", "redis-cli", "ping").stdout.strip() == "PONG"


@pytest.mark.cluster
def test_the_doctor_names_datastore_images_the_registry_lacks_and_how_up_gets_them(cluster, monkeypatch, tmp_path):
    from tasks.devloop.diagnosis import check_datastores
    from tasks.devloop.targets import of_test_cluster

    target = of_test_cluster()
    assert target is not None
    absent = {"postgres": f"absent-{tmp_path.name}"}  # a tag no test pushes: asked of the real registry
    found = check_datastores(target, False, True, wanted=absent)
    assert found is not None and found.ok, found
    assert found.line().startswith(
        f"ok   datastores: postgres:{absent['postgres']} not yet in the registry "
        f"{cluster.registry}; invoke up builds them ("
    )
    # Offline and without the kube kit's stand-in Dockerfiles, nothing could make them: a failure with the fix.
    monkeypatch.setenv("SHIPYARD_KUBE_DIR", str(tmp_path / "no-kit"))
    failed = check_datastores(target, False, True, wanted=absent)
    assert failed is not None and not failed.ok
    assert failed.line().endswith("they cannot be made: set SHIPYARD_KUBE_DIR to the kube kit's folder"), failed
    # Online, up pulls them instead.
    assert check_datastores(target, False, False, wanted=absent).line().endswith("invoke up pulls and pushes them")
