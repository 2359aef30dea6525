"""Tilt with the project's Tiltfile on the real cluster: `tilt ci`, then `tilt up` and live updates.

Both run in one scratch copy and one PodSecurity-restricted namespace, in file order: `tilt ci`
deploys everything and runs the unit-test resource; `tilt up` then takes the same resources
over, syncs a view edit into the running pod and runs the Tiltfile's `run` step on a change
to the dev-only lock. Tilt's state (its API server's config) stays in the test's folder.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from tasks import ports
from tasks.bench.reload import view_edit
from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.scratch import scratch_copy
from tests.cluster import canary, day
from tests.cluster.canary import with_canary
from tests.cluster.commands import delete_namespace, restricted_namespace
from tests.cluster.loop import background, free_port, get_json, pods, web_pod
from tests.support.processes import saved_until, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]


class Tilt:
    """The scratch copy, namespace and environment every tilt command of the module shares."""

    def __init__(self, cluster: Cluster, copy: Path, namespace: str):
        self.cluster, self.copy, self.namespace = cluster, copy, namespace
        self.env = with_canary(env(cluster)) | {
            "TILT_DEV_DIR": str(copy.parent / "tilt-dev"),
            "TILT_DISABLE_ANALYTICS": "1",
        }
        self.port = free_port()  # Tilt's API server and web UI: never the default 10350 a developer uses
        # web's forward, through the Tiltfile's web-port option (as `invoke up --tilt --namespace` passes it):
        # never 8000, where a developer's own loop or another test's may be. The quick start's Tilt run serves
        # on the default.
        self.web_port = free_port()

    def flags(self) -> list[str]:
        return ["--context", self.cluster.context, "--namespace", self.namespace, "--port", str(self.port)]

    def tiltfile_args(self) -> list[str]:
        return ["--", "--offline", "--web-port", str(self.web_port)]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["tilt", *args], cwd=self.copy, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return kubectl(self.cluster, "-n", self.namespace, *args, **kwargs)

    def web_pod(self) -> tuple[str, str] | None:
        return web_pod(self.cluster, self.namespace)


@pytest.fixture(scope="module")
def tilt(cluster_session, tmp_path_factory):
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("tilt"))
    namespace = restricted_namespace(cluster, "tilt")
    yield Tilt(cluster, copy, namespace)
    delete_namespace(cluster, namespace)


def test_tilt_ci_with_the_projects_tiltfile_succeeds(tilt):
    started = time.monotonic()
    result = tilt.run("ci", *tilt.flags(), "--timeout", "15m", *tilt.tiltfile_args(), timeout=1000)
    print(f"tilt ci: exit {result.returncode} after {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    job = json.loads(tilt.kubectl("get", "job", "migrate", "-o", "json").stdout)
    assert job["status"].get("succeeded") == 1 and job["status"].get("failed", 0) == 0, job["status"]
    assert "SUCCESS. All workloads are healthy." in result.stdout + result.stderr


def test_the_real_tilt_reads_the_debug_flag(tilt):
    """`tilt up -- --debug` runs web under debugpy and forwards its debugpy port; without it, neither."""
    for debug in (False, True):
        result = tilt.run(
            "alpha",
            "tiltfile-result",
            "--context",
            tilt.cluster.context,
            "--",
            "--offline",
            *(["--debug"] if debug else []),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        (web,) = [m for m in json.loads(result.stdout)["Manifests"] if m["Name"] == "web"]
        forwards = {f["localPort"] for f in web["DeployTarget"]["portForwardTemplateSpec"]["forwards"]}
        assert forwards == ({ports.WEB, ports.DEBUGPY} if debug else {ports.WEB})
        (deployment,) = [o for o in yaml.safe_load_all(web["DeployTarget"]["yaml"]) if o["kind"] == "Deployment"]
        env = deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])
        assert ({"name": "DEBUGPY", "value": "1"} in env) is debug


@pytest.fixture(scope="module")
def tilt_up(tilt):
    """`tilt up` (headless, streaming its log) over what `tilt ci` deployed; web through Tilt's own forward."""
    argv = ["tilt", "up", *tilt.flags(), "--stream", *tilt.tiltfile_args()]
    up = background(argv, tilt.copy, tilt.cluster, tilt.copy.parent / "tilt-up.log", tilt.env)
    port = ["--port", str(tilt.port)]

    def resources_loaded() -> bool:
        return not up.alive() or tilt.run("get", *port, "uiresource/web", "uiresource/worker").returncode == 0

    wait_until("tilt up to load the Tiltfile's resources", resources_loaded, 120, 0.5)
    assert up.alive(), up.output()[-4000:]
    waited = tilt.run(
        "wait", *port, "--for=condition=Ready", "--timeout=600s", "uiresource/web", "uiresource/worker", timeout=660
    )
    assert waited.returncode == 0, waited.stderr + up.output()[-4000:]
    base = f"http://127.0.0.1:{tilt.web_port}"
    try:
        wait_until("web through Tilt's forward", lambda: get_json(f"{base}/api/jobs"), 120, 0.5)
        yield up, base
    finally:
        up.stop()


def served_edit(base: str) -> str | None:
    return (get_json(f"{base}/api/jobs") or {}).get("edit")


def test_nothing_of_the_callers_environment_reaches_the_cluster(tilt, tilt_up):
    read, carriers = canary.search(tilt.cluster, tilt.namespace)
    assert read >= 10  # the pods, the migrate Job, ConfigMaps, Secrets
    assert carriers == []


def test_a_view_edit_is_live_updated_into_the_running_pod(tilt, tilt_up):
    up, base = tilt_up
    before = tilt.web_pod()
    token = uuid.uuid4().hex[:8]

    def save() -> None:
        for name, content in view_edit(token).items():
            (tilt.copy / name).write_bytes(content)

    saved_until(f"edit {token} to be served", save, lambda: served_edit(base) == token, 60)
    assert tilt.web_pod() == before  # the same pod and image: synced, not rebuilt
    assert "Will copy 1 file(s) to container" in up.output()


def test_a_model_change_is_live_after_invoke_makemigrations_without_a_rebuild(tilt, tilt_up):
    _, base = tilt_up
    took = day.a_model_change_is_migrated_in_place(base, tilt.copy, tilt.cluster, tilt.namespace)
    print(f"tilt up: the new field served {took:.2f}s after `invoke makemigrations` was typed")
    day.a_branch_without_the_migration_is_named(base, tilt.copy, tilt.cluster, tilt.namespace)


def test_invoke_manage_runs_in_the_web_pod_and_passes_its_exit_code(tilt, tilt_up):
    day.manage_runs_in_the_web_pod_with_its_exit_code(tilt.copy, tilt.cluster, tilt.namespace)


def test_db_seed_snapshot_reset_and_restore_on_the_loops_database(tilt, tilt_up):
    _, base = tilt_up
    day.data_commands_seed_snapshot_reset_and_restore(base, tilt.copy, tilt.cluster, tilt.namespace)


def test_a_dev_lock_change_runs_the_pip_step_in_the_pod(tilt, tilt_up):
    up, base = tilt_up
    before = tilt.web_pod()
    marker = f"# tilt run step {uuid.uuid4().hex[:8]}"
    lock = tilt.copy / "requirements" / "dev.txt"
    lock.write_text(lock.read_text() + marker + "\n")
    (pod,) = pods(tilt.cluster, tilt.namespace, "web")

    def synced() -> bool:
        seen = tilt.kubectl(
            "exec", pod["metadata"]["name"], "-c", "web", "--", "cat", "/tmp/requirements/dev.txt", check=False
        )
        return marker in seen.stdout

    wait_until("the dev lock to reach the pod", synced, 60, 0.5)
    # A comment changes no pin: the step installs nothing, and asks no index (none answers here).
    wait_until("Tilt to run the dev lock step", lambda: "dev lock: every pin is installed" in up.output(), 60, 0.5)
    assert tilt.web_pod() == before
    assert get_json(f"{base}/api/jobs") is not None  # still serving after the step


def test_a_new_dependency_locked_by_invoke_lock_is_built_rolled_and_served(tilt, tilt_up):
    _, base = tilt_up
    took = day.a_new_dependency_is_locked_built_and_served(base, tilt.copy, tilt.cluster, tilt.namespace)
    print(f"tilt up: the new dependency served {took:.1f}s after `invoke lock` was typed")
