"""`invoke db.*` refuses, in one line and before any statement runs, what is not the dev loop's own.

On the real loop (both tools) they are tested in tests/cluster/day.py; here, what needs no cluster.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tasks.db.loop_database import literal, quoted
from tests.checks.cli import invoke_here
from tests.devloop.test_doctor import isolated

# A context as a cloud cluster's kubeconfig names it; its server is a closed loopback port.
PROD_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: me, user: {token: not-a-token}}]
contexts: [{name: prod-eks, context: {cluster: prod, user: me, namespace: shop}}]
current-context: prod-eks
"""


def db(*args: str) -> subprocess.CompletedProcess:
    return invoke_here(*args, env={**os.environ, **isolated(PROD_KUBECONFIG)})


@pytest.mark.parametrize(
    "args",
    [("db.reset",), ("db.seed",), ("db.snapshot", "before"), ("db.restore", "before"), ("db.snapshots",)],
    ids=lambda args: args[0],
)
def test_every_db_command_refuses_a_context_that_is_no_local_cluster(args):
    result = db(*args, "--namespace", "shop")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{args[0]}: context 'prod-eks' is not a local cluster (minikube, kind-*, k3d-*, docker-desktop, KEP-1755): "
        "db.* works only on the dev loop's own cluster"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize("name", ["Before", "a name", "x" * 31, "_leading", "semi;colon", ""])
def test_a_snapshot_name_that_is_not_an_identifier_is_refused_before_any_cluster_is_asked(name):
    for command in ("db.snapshot", "db.restore"):
        result = db(command, name)
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines() == [
            f"{command}: snapshot name {name!r} is not 1-30 lowercase letters, digits or _ (starting with a letter "
            "or digit), e.g. before_migration"
        ]


def test_identifiers_and_literals_are_quoted_for_postgresql():
    assert quoted('odd"name') == '"odd""name"'
    assert literal("it's") == "'it''s'"
