"""The Tiltfile, executed by a real Starlark interpreter."""

import pytest
import yaml

from tasks import ports
from tasks.paths import ROOT
from tests.devloop.tilt_standins import run_tiltfile

pytestmark = pytest.mark.k8s  # kustomize() renders the dev overlay with kubectl


@pytest.fixture(scope="module")
def tilt():
    return run_tiltfile()


def workloads(tilt) -> dict[str, str]:
    (call,) = tilt.named("kustomize")
    return {
        o["metadata"]["name"]: o["kind"] for o in call["objects"] if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }


def test_deploys_the_dev_overlay_and_only_to_local_clusters(tilt):
    (kustomize,) = tilt.named("kustomize")
    assert kustomize["path"] == "k8s/overlays/dev"
    (k8s_yaml,) = tilt.named("k8s_yaml")
    assert k8s_yaml["yaml"]["tilt"] == "kustomize"
    # Tilt trusts kind-*, k3d-*, docker-desktop by itself; the test cluster's context is named.
    assert tilt.named("allow_k8s_contexts")[0]["contexts"] == ["minikube", "shipyard-test"]
    assert tilt.named("version_settings")[0]["check_updates"] is False
    assert tilt.named("analytics_settings")[0]["enable"] is False
    assert tilt.named("secret_settings")[0]["disable_scrub"] is True  # dev's Secrets are placeholders


def test_every_workload_of_the_overlay_is_a_labelled_resource(tilt):
    named = {call["workload"] for call in tilt.named("k8s_resource")}
    assert named == set(workloads(tilt))
    assert all(call["labels"] for call in tilt.named("k8s_resource"))


def test_web_and_worker_wait_for_migrations_and_migrations_for_postgres(tilt):
    assert tilt.resource("migrate")["resource_deps"] == ["postgres"]
    # A code edit must not rebuild and replace the finished Job: it runs at `tilt up`, then on a trigger.
    assert tilt.resource("migrate")["trigger_mode"] == "manual"
    for workload in ("web", "worker", "beat"):
        assert {"migrate", "redis"} <= set(tilt.resource(workload)["resource_deps"])
    assert set(workloads(tilt)) >= {"postgres", "redis", "migrate"}


def test_web_forwards_http_and_links_the_admin(tilt):
    web = tilt.resource("web")
    forwards = {(f["local_port"], f["container_port"]) for f in web["port_forwards"]}
    assert forwards == {(ports.WEB, ports.WEB)}
    assert [link["url"] for link in web["links"]] == [f"http://localhost:{ports.WEB}/admin/"]
    (k8s_yaml,) = tilt.named("k8s_yaml")
    assert k8s_yaml["yaml"]["tilt"] == "kustomize"  # the overlay as it is: no DEBUGPY


def web_env(objects: list[dict]) -> list[dict]:
    (web,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "web"]
    (container,) = [c for c in web["spec"]["template"]["spec"]["containers"] if c["name"] == "web"]
    return container.get("env", [])


def test_debug_runs_web_under_debugpy_and_forwards_its_port():
    tilt = run_tiltfile(debug=True)
    web = tilt.resource("web")
    assert {(f["local_port"], f["container_port"]) for f in web["port_forwards"]} == {
        (ports.WEB, ports.WEB),
        (ports.DEBUGPY, ports.DEBUGPY),
    }
    (k8s_yaml,) = tilt.named("k8s_yaml")
    assert {"name": "DEBUGPY", "value": "1"} in web_env(k8s_yaml["yaml"]["objects"])
    (kustomize,) = tilt.named("kustomize")
    assert web_env(kustomize["objects"]) == web_env(k8s_yaml["yaml"]["objects"])[:-1]  # only DEBUGPY added


def test_builds_the_dev_target_with_fall_back_then_sync_then_run(tilt):
    (build,) = tilt.named("docker_build")
    assert (build["ref"], build["context"], build["dockerfile"], build["target"]) == (
        "shipyard-app",
        ".",
        "Dockerfile",
        "dev",
    )
    steps = [step["tilt"] for step in build["live_update"]]
    # Tilt's rule: fall_back_on first, then syncs, then runs.
    assert steps == sorted(steps, key=["fall_back_on", "sync", "run"].index)
    fall_back = build["live_update"][0]
    assert set(fall_back["files"]) == {"Dockerfile", "requirements/app.txt"}
    syncs = {(s["local_path"], s["remote_path"]) for s in build["live_update"] if s["tilt"] == "sync"}
    assert ("app/", "/app/") in syncs
    (run,) = [s for s in build["live_update"] if s["tilt"] == "run"]
    assert run["trigger"] == ["requirements/dev.txt"]
    assert ("requirements/dev.txt", "/tmp/requirements/dev.txt") in syncs
    assert run["cmd"] == "python -m devtools.dev_lock /tmp/requirements/dev.txt"


def test_unit_tests_run_beside_the_loop_without_holding_it(tilt):
    (tests,) = tilt.named("local_resource")
    assert tests["cmd"] == "nice -n 19 .venv/bin/invoke test --unit --changed"  # the pods' reloads come first
    assert {"app", "tasks", "tests"} <= set(tests["deps"])
    assert tests["ignore"] == ["**/__pycache__"]  # else each run's bytecode would start the next
    assert tests["allow_parallel"] is True


def test_offline_builds_on_the_debootstrap_base_only_when_asked(tilt):
    (build,) = tilt.named("docker_build")
    assert build["build_args"] == {}
    assert tilt.flags == {"offline": False, "debug": False}
    (offline,) = run_tiltfile(offline=True).named("docker_build")
    assert offline["build_args"] == {"BASE_IMAGE": "shipyard-base:bookworm"}


def test_the_build_trusts_the_host_cas_as_skaffolds_and_invoke_image_builds_do(tilt):
    """Behind a TLS-intercepting proxy pip in the build needs the host's CAs: a cold `tilt up` failed without them."""
    from tasks.image.builds import CA_SECRET_ID, HOST_CA
    from tests.support.needs import need

    need("the host's CA bundle", HOST_CA.is_file(), f"{HOST_CA} is missing (Debian: apt-get install ca-certificates)")
    (build,) = tilt.named("docker_build")
    assert build["secret"] == [f"id={CA_SECRET_ID},src={HOST_CA}"]
    skaffold = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    (artifact,) = skaffold["build"]["artifacts"]
    assert artifact["docker"]["secrets"] == [{"id": CA_SECRET_ID, "src": str(HOST_CA)}]


def test_a_shared_cluster_gets_the_checked_context_the_teams_registry_and_the_developers_web_port():
    """`invoke up --tilt --namespace` passes the context it checked, the registry and a free local port."""
    tilt = run_tiltfile(**{"shared-context": "team-dev", "registry": "registry.example.com/team", "web-port": "8003"})
    assert tilt.named("allow_k8s_contexts")[0]["contexts"] == ["minikube", "shipyard-test", "team-dev"]
    assert [call["host"] for call in tilt.named("default_registry")] == ["registry.example.com/team"]
    web = tilt.resource("web")
    assert {(f["local_port"], f["container_port"]) for f in web["port_forwards"]} == {(8003, ports.WEB)}
    assert [link["url"] for link in web["links"]] == ["http://localhost:8003/admin/"]


def test_without_a_shared_cluster_no_registry_is_set_and_tilt_finds_the_local_one(tilt):
    assert tilt.named("default_registry") == []
