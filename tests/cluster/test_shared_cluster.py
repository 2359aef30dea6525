"""Two developers on one shared cluster, side by side: `invoke up --namespace` in two checkouts at once, alice with
skaffold, bob with Tilt, both pushing to a registry that requires a login (tests/support/auth_registry.py) which
the cluster pulls from with the pull secret each loop made from its developer's Docker config.

As on a team's cluster, the admin has made each developer's namespace with k8s/dev-namespace-rbac-example, and
each developer's tools act as that developer alone (tests/support/developer_kubeconfig.py): they may do only what
the example's Role grants, in their own namespace. (So Tilt, like any developer there, cannot read the cluster's
KEP-1755 local registry ConfigMap, and pushes to the team's registry as it would on a cluster that has none.)

In file order: both serve from their own namespace and the team's registry; edits are served only where they were
made (the edit-to-served times of each, while both loops run, are printed); a job is done and stored only in its
own namespace; `invoke manage` runs in the developer's own web pod, and the doctor checks each step and the loop's
database; neither namespace's pods reach the other's PostgreSQL or Redis; bob may not remove alice's loop;
`invoke down` in alice's leaves bob's serving.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tasks.bench.reload import view_edit
from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.phases import SERVED
from tasks.devloop.running import Running
from tasks.devloop.scratch import scratch_copy
from tasks.shared.namespace import OWNER
from tasks.shared.pull_secret import NAME as PULL_SECRET
from tests.cluster.commands import apply, delete_namespace, exec_in, warnings_in
from tests.cluster.loop import get_json, job_done, pods, post_job, web_pod
from tests.support.cluster_session import heavy_stack
from tests.support.dev_namespace import example_for
from tests.support.developer_kubeconfig import developer_kubeconfig
from tests.support.processes import free_port, saved_until, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]

EDITS = 5  # per developer, alternating, while both loops run
RESAVE_SECONDS = 2.0  # a sync right after a reload can be missed by the new child's watcher: save again


@dataclass
class Developer:
    name: str
    tool: str  # skaffold or tilt
    copy: Path
    namespace: str
    env: dict[str, str]
    context: str
    loop: Running | None = None
    url: str = ""

    def invoke(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`invoke ARGS` in this developer's checkout, as they type it."""
        argv = [str(self.copy / ".venv" / "bin" / "invoke"), *args]
        return subprocess.run(argv, cwd=self.copy, env=self.env, capture_output=True, text=True, timeout=timeout)

    def served_edit(self) -> str | None:
        return (get_json(f"{self.url}api/jobs") or {}).get("edit")


def developer(name: str, tool: str, cluster: Cluster, auth_registry, parent: Path) -> Developer:
    """A developer with a fresh name, their namespace made by the admin from the RBAC example, their own checkout,
    Docker login and kubeconfig."""
    user = f"{name}-{uuid.uuid4().hex[:6]}"
    apply(cluster, *yaml.safe_load_all(example_for(user, parent / "rbac")))
    copy = scratch_copy(parent)
    config = auth_registry.docker_config(parent / "docker")
    kubeconfig, context = developer_kubeconfig(cluster, user, parent / "kube")
    environ = env(cluster) | {
        "USER": user,
        "DOCKER_CONFIG": str(config),
        "KUBECONFIG": str(kubeconfig),
        "KUBECACHEDIR": str(parent / "kube" / "cache"),
        "TILT_DEV_DIR": str(parent / "tilt-dev"),
        "TILT_DISABLE_ANALYTICS": "1",
    }
    return Developer(user, tool, copy, f"dev-{user}", environ, context)


def start(dev: Developer, registry: str) -> None:
    argv = [str(dev.copy / ".venv" / "bin" / "invoke"), "up", "--namespace", dev.namespace, "--registry", registry]
    argv += ["--context", dev.context, "--offline"] + (
        ["--tilt", "--web-port", str(free_port())] if dev.tool == "tilt" else []
    )
    dev.loop = Running(argv, dev.copy, dev.env, dev.copy.parent / "up.log")


def wait_served(dev: Developer, cluster: Cluster) -> None:
    def served() -> str | None:
        if not (dev.loop and dev.loop.alive()):
            warnings = warnings_in(cluster, dev.namespace)
            pytest.fail(f"{dev.name}'s invoke up exited:\n{dev.loop.output()[-6000:]}\nWarning events:\n{warnings}")
        found = SERVED.search(dev.loop.output())
        return found and found[1]

    dev.url = wait_until(f"{dev.name}'s loop to serve", served, 900, 1)


@pytest.fixture(scope="module")
def team(cluster_session, auth_registry, tmp_path_factory):
    cluster = cluster_session.ensure_stack()
    alice = developer("alice", "skaffold", cluster, auth_registry, tmp_path_factory.mktemp("alice"))
    bob = developer("bob", "tilt", cluster, auth_registry, tmp_path_factory.mktemp("bob"))
    with heavy_stack("the two developers' loops"):
        try:
            for dev in (alice, bob):
                start(dev, auth_registry.host)
            for dev in (alice, bob):
                wait_served(dev, cluster)
            yield cluster, alice, bob
        finally:
            for dev in (alice, bob):
                if dev.loop:
                    dev.loop.stop()
                dev.invoke(
                    "down",
                    "--namespace",
                    dev.namespace,
                    "--context",
                    dev.context,
                    *(["--tilt"] if dev.tool == "tilt" else []),
                )
                delete_namespace(cluster, dev.namespace)


def test_each_loop_serves_from_its_own_namespace_and_the_teams_registry(team, auth_registry):
    cluster, alice, bob = team
    assert alice.url != bob.url  # each developer's own local port: skaffold chose one, bob gave his
    for dev in (alice, bob):
        namespace = json.loads(kubectl(cluster, "get", "namespace", dev.namespace, "-o", "json").stdout)
        labels = namespace["metadata"]["labels"]
        assert labels[OWNER] == dev.name and labels["pod-security.kubernetes.io/enforce"] == "restricted"
        made = kubectl(cluster, "-n", dev.namespace, "get", "resourcequota,limitrange", "-o", "name").stdout.split()
        assert made == ["resourcequota/dev-stack", "limitrange/dev-container-defaults"]
        account = json.loads(kubectl(cluster, "-n", dev.namespace, "get", "sa", "shipyard", "-o", "json").stdout)
        assert account["imagePullSecrets"] == [{"name": PULL_SECRET}]
        _, image = web_pod(cluster, dev.namespace)
        assert image.startswith(f"{auth_registry.host}/"), f"{dev.name}'s web runs {image}"


def edit_served_after(dev: Developer, other: Developer) -> float:
    """Seconds from saving a view edit in DEV's checkout to DEV's web serving it; OTHER's web must not serve it."""
    token = uuid.uuid4().hex[:8]
    before = other.served_edit()

    def save() -> None:
        for path, content in view_edit(token).items():
            (dev.copy / path).write_bytes(content)

    saved = time.monotonic()
    saved_until(f"{dev.name}'s edit to be served", save, lambda: dev.served_edit() == token, 60, RESAVE_SECONDS, 0.05)
    took = time.monotonic() - saved
    assert other.served_edit() == before, f"{other.name}'s web serves {dev.name}'s edit"
    return took


def test_an_edit_is_served_only_in_the_namespace_it_was_made_for(team):
    _, alice, bob = team
    times: dict[str, list[float]] = {alice.name: [], bob.name: []}
    for _ in range(EDITS):
        times[alice.name].append(edit_served_after(alice, bob))
        times[bob.name].append(edit_served_after(bob, alice))
        time.sleep(RESAVE_SECONDS)  # the new child's watcher is running before the next save
    for dev in (alice, bob):
        seconds = times[dev.name]
        print(
            f"shared cluster, both loops running: {dev.name} ({dev.tool}) edit served in p50 "
            f"{statistics.median(seconds):.2f}s, max {max(seconds):.2f}s over {len(seconds)} edits"
        )


def rows(cluster: Cluster, namespace: str, job_id: str) -> str:
    query = f"select count(*) from analysis_job where id = '{job_id}'"
    psql = ["psql", "-U", "shipyard", "-d", "shipyard", "-tAc", query]
    return exec_in(cluster, namespace, "postgres-0", *psql).stdout.strip()


def test_a_job_is_done_and_stored_only_in_its_own_namespace(team):
    cluster, alice, bob = team
    for dev, other in ((alice, bob), (bob, alice)):
        job = post_job(dev.url.rstrip("/"), f"for {dev.name}")
        job_done(dev.url.rstrip("/"), job["id"])
        assert rows(cluster, dev.namespace, job["id"]) == "1"
        assert rows(cluster, other.namespace, job["id"]) == "0"
        (worker,) = pods(cluster, dev.namespace, "worker")
        logs = kubectl(cluster, "-n", dev.namespace, "logs", worker["metadata"]["name"], "-c", "worker").stdout
        assert job["id"] in logs, f"{dev.name}'s worker did not log job {job['id']}"


def test_invoke_manage_runs_in_the_developers_own_web_pod(team):
    """`invoke manage --namespace` finds the developer's namespace on the shared cluster, as that developer."""
    cluster, alice, bob = team
    for dev in (alice, bob):
        ran = dev.invoke("manage", "--namespace", dev.namespace, "--", "shell", "-c", "import os; print(os.uname()[1])")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        (web,) = pods(cluster, dev.namespace, "web")
        assert ran.stdout.split()[-1] == web["metadata"]["name"]


def test_the_doctor_checks_each_step_and_the_running_loops_database(team, auth_registry):
    _, alice, bob = team
    for dev in (alice, bob):
        tool = ["--tilt"] if dev.tool == "tilt" else []
        args = ["--namespace", dev.namespace, "--registry", auth_registry.host, "--context", dev.context, "--offline"]
        doctor = dev.invoke("doctor", *args, *tool, timeout=120)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        checked = [line.split(":", 1)[0] for line in doctor.stdout.splitlines() if line.startswith("ok")]
        assert checked[:3] == ["ok   context", "ok   namespace", "ok   push"]
        assert "ok   database: the running loop's database has exactly this checkout's migrations" in doctor.stdout


REACH = """
import socket, sys
for host, port in [tuple(a.rsplit(":", 1)) for a in sys.argv[1:]]:
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        print(host, "open")
    except OSError as error:
        print(host, "closed", type(error).__name__)
"""


def test_no_pod_reaches_the_other_namespaces_postgres_or_redis(team):
    cluster, alice, bob = team
    for dev, other in ((alice, bob), (bob, alice)):
        (web,) = pods(cluster, dev.namespace, "web")
        theirs = [
            f"{name}.{other.namespace}.svc.cluster.local:{port}" for name, port in (("postgres", 5432), ("redis", 6379))
        ]
        own = ["postgres:5432", "redis:6379"]
        ran = exec_in(cluster, dev.namespace, web["metadata"]["name"], "python", "-c", REACH, *own, *theirs)
        said = dict(line.split(" ", 1) for line in ran.stdout.splitlines())
        assert said["postgres"] == "open" and said["redis"] == "open", ran.stdout + ran.stderr
        for address in theirs:
            assert said[address.rsplit(":", 1)[0]].startswith("closed"), f"{dev.name} reaches {address}: {ran.stdout}"


def test_bob_may_not_remove_alices_loop(team):
    """Bob's Role is in his namespace only: he cannot even read alice's, and invoke says so in one line."""
    cluster, alice, bob = team
    refused = bob.invoke("down", "--namespace", alice.namespace, "--context", bob.context)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"you may not read namespace {alice.namespace} on {bob.context}, so it cannot be checked: "
        "ask your cluster admin for the Role in k8s/dev-namespace-rbac-example"
    )
    assert len(pods(cluster, alice.namespace, "web")) == 1


def test_down_in_one_namespace_leaves_the_other_serving(team):
    cluster, alice, bob = team
    bobs_pods = {p["metadata"]["uid"] for c in ("web", "worker", "beat") for p in pods(cluster, bob.namespace, c)}
    alice.loop.stop()  # Ctrl+C: skaffold removes what it deployed
    removed = alice.invoke("down", "--namespace", alice.namespace, "--context", alice.context)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    left = kubectl(cluster, "-n", alice.namespace, "get", "deployments,statefulsets,jobs,secrets", "-o", "name")
    assert left.stdout.split() == [], left.stdout
    assert get_json(f"{bob.url}api/jobs") is not None
    still = {p["metadata"]["uid"] for c in ("web", "worker", "beat") for p in pods(cluster, bob.namespace, c)}
    assert still == bobs_pods
