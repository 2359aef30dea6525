"""Policy: the rules of k8s/README.md, checked on the rendered output of every overlay."""

from __future__ import annotations

import ast
import base64
import re
from urllib.parse import urlsplit

import pytest

from devtools.dev_lock import DEV_PACKAGES
from ops.heartbeat_probe import INTERVAL_SECONDS
from tasks.paths import APP
from tests.k8s.manifests import (
    APP_WORKLOADS,
    COMPONENT,
    NAME_LABELS,
    by_unhashed_name,
    config_value,
    find,
    one,
    pod_templates,
    rendered,
    selects,
    template,
)

pytestmark = pytest.mark.k8s

DIGEST = re.compile(r"^[^@:]+(:[^@/]+)?@sha256:[0-9a-f]{64}$")
FAKE_MARKER = "dev-only-not-a-secret"


# --- Every container ---------------------------------------------------------------------------


def every_container(objects):
    return [(t, c) for t in pod_templates(objects) for c in t.containers()]


def test_every_container_runs_locked_down(objects):
    for t, c in every_container(objects):
        where = f"{t.key} container {c['name']}"
        assert t.effective_security(c, "runAsNonRoot") is True, where
        assert (t.effective_security(c, "runAsUser") or 0) >= 10000, where
        assert (t.effective_security(c, "seccompProfile") or {}).get("type") == "RuntimeDefault", where
        own = c.get("securityContext", {})
        assert own.get("readOnlyRootFilesystem") is True, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not own.get("capabilities", {}).get("add"), where
        assert own.get("privileged") is not True, where


def test_app_containers_run_as_the_image_user(objects):
    for name in APP_WORKLOADS:
        t = template(objects, name)
        assert t.effective_security(t.container(name), "runAsUser") == 10001


def test_every_container_requests_cpu_and_memory_and_limits_memory(objects):
    for t, c in every_container(objects):
        resources = c.get("resources", {})
        assert {"cpu", "memory"} <= resources.get("requests", {}).keys(), f"{t.key} {c['name']}"
        assert "memory" in resources.get("limits", {}), f"{t.key} {c['name']}"


def test_every_writable_path_is_a_volume(objects):
    """Read-only root filesystem: whatever a container writes to is a mounted volume."""
    for name in APP_WORKLOADS:
        t = template(objects, name)
        mounts = {m["mountPath"]: m["name"] for m in t.container(name).get("volumeMounts", [])}
        assert "emptyDir" in t.volume(mounts["/tmp"]), f"{name}: /tmp is not an emptyDir"
    for t, c in every_container(objects):
        for mount in c.get("volumeMounts", []):
            volume = t.volume(mount["name"])
            assert volume is not None, f"{t.key}: mount {mount['name']} has no volume"
            assert {"emptyDir", "persistentVolumeClaim"} & volume.keys() or mount.get("readOnly"), (
                f"{t.key}: writable mount {mount['mountPath']} is neither an emptyDir nor a volume claim"
            )


def test_no_pod_gets_a_service_account_token(objects):
    accounts = {sa["metadata"]["name"]: sa for sa in find(objects, "ServiceAccount")}
    for t in pod_templates(objects):
        account = accounts[t.spec["serviceAccountName"]]
        assert account.get("automountServiceAccountToken") is False, account["metadata"]["name"]
        assert t.spec.get("automountServiceAccountToken") is False, t.key


# --- Probes and shutdown -------------------------------------------------------------------------


def http_probe(container, kind):
    probe = container[kind]["httpGet"]
    return probe["path"], probe["port"]


def test_web_probes_follow_the_runtime_contract(objects):
    web = template(objects, "web").container("web")
    assert http_probe(web, "startupProbe") == ("/healthz", "http")
    assert http_probe(web, "readinessProbe") == ("/readyz", "http")
    assert http_probe(web, "livenessProbe") == ("/healthz", "http")


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_and_beat_probes_are_the_fast_heartbeat_check(objects, name):
    container = template(objects, name).container(name)
    for kind in ("startupProbe", "livenessProbe"):
        assert container[kind]["exec"]["command"] == ["python", "/app/ops/heartbeat_probe.py", name], kind
        assert container[kind]["timeoutSeconds"] <= container[kind]["periodSeconds"], kind
    assert "readinessProbe" not in container  # nothing routes traffic to a worker or beat
    liveness = container["livenessProbe"]
    # The probe fails once the file is older than MAX_AGE_SECONDS (many missed touches); the
    # kubelet then restarts after this window of failures, itself several heartbeats long.
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 3 * INTERVAL_SECONDS
    assert liveness["failureThreshold"] >= 3


def test_every_long_running_container_has_a_liveness_probe(objects):
    # A hung process restarts only if something checks it; Jobs run to completion instead.
    for t in pod_templates(objects):
        if t.workload["kind"] == "Job":
            continue
        for c in t.containers(init=False):
            assert "livenessProbe" in c, f"{t.key} {c['name']} has no liveness probe"


def gunicorn_graceful_timeout() -> int:
    tree = ast.parse((APP / "config" / "gunicorn.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "graceful_timeout" for t in node.targets):
            return ast.literal_eval(node.value)
    return 30  # gunicorn's default


def test_web_drains_before_it_stops(objects):
    t = template(objects, "web")
    command = t.container("web")["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"  # coreutils, in every image; `preStop.sleep` needs Kubernetes 1.29+
    pause = int(command[1])
    assert pause >= 5
    # The kubelet kills the pod after terminationGracePeriodSeconds, counted from the preStop.
    assert t.spec["terminationGracePeriodSeconds"] > pause + gunicorn_graceful_timeout()


def test_worker_grace_period_outlasts_the_task_hard_time_limit(objects):
    hard_limit = int(config_value(objects, "CELERY_TASK_TIME_LIMIT", "60"))
    soft_limit = int(config_value(objects, "CELERY_TASK_SOFT_TIME_LIMIT", "50"))
    assert soft_limit < hard_limit
    assert template(objects, "worker").spec["terminationGracePeriodSeconds"] > hard_limit


# --- Workload shape ----------------------------------------------------------------------------------


def test_exactly_one_beat_and_never_two_at_once(objects):
    beat = one(objects, "Deployment", "beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert not [h for h in find(objects, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == "beat"]


def test_migrate_job_can_be_reapplied(objects):
    job = one(objects, "Job", "migrate")["spec"]
    assert job["ttlSecondsAfterFinished"] > 0  # deleted after it finished: the next apply makes it anew
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["backoffLimit"] <= 5


def test_web_and_worker_have_disruption_budgets(objects):
    budgets = find(objects, "PodDisruptionBudget")
    for name in ("web", "worker"):
        labels = template(objects, name).labels
        matching = [b for b in budgets if selects(b["spec"]["selector"], labels)]
        assert len(matching) == 1, name
        assert matching[0]["spec"].get("maxUnavailable") == 1


def test_config_is_generated_with_a_hash_suffix(objects):
    config = by_unhashed_name(objects, "ConfigMap", "app-config")
    assert config["metadata"]["name"] != "app-config"


def test_every_object_carries_the_common_labels(objects):
    for obj in objects:
        assert NAME_LABELS.items() <= obj["metadata"].get("labels", {}).items(), obj["metadata"]["name"]
    for t in pod_templates(objects):
        assert NAME_LABELS.items() <= t.labels.items(), t.key
        assert t.labels[COMPONENT] == t.workload["metadata"]["labels"][COMPONENT] == t.name, t.key


# --- Images and secrets ------------------------------------------------------------------------------


def images(objects):
    return [c["image"] for _, c in every_container(objects)]


def test_no_latest_or_untagged_images(objects):
    for image in images(objects):
        name = image.split("@")[0]
        has_tag = ":" in name.rsplit("/", 1)[-1]
        assert has_tag or "@sha256:" in image, f"untagged image {image}"
        assert not name.endswith(":latest"), f"latest image {image}"


def test_prod_images_are_pinned_by_digest():
    for image in images(rendered("prod")):
        assert DIGEST.match(image), image


@pytest.mark.parametrize(
    ("overlay", "image"),
    [("dev", "shipyard-app:dev"), ("staging", "shipyard-app:staging")],
)
def test_app_image_per_overlay(overlay, image):
    objects = rendered(overlay)
    assert {template(objects, name).container(name)["image"] for name in APP_WORKLOADS} == {image}


def test_production_shaped_overlays_render_no_secret(production_overlay):
    objects = rendered(production_overlay)
    assert find(objects, "Secret") == []
    for t, c in every_container(objects):
        for env in c.get("env", []):
            if re.search(r"KEY|PASSWORD|TOKEN|SECRET|_URL", env["name"]):
                assert "value" not in env, f"{t.key}: {env['name']} is a literal, not a secret reference"


def test_dev_secrets_are_obviously_fake():
    for secret in find(rendered("dev"), "Secret"):
        for key, encoded in secret.get("data", {}).items():
            value = base64.b64decode(encoded).decode()
            password = urlsplit(value).password if "://" in value else None
            if re.search(r"KEY|PASSWORD|TOKEN|SECRET", key):
                assert FAKE_MARKER in value, f"{secret['metadata']['name']}.{key} does not look fake"
            if password is not None:
                assert FAKE_MARKER in password, f"{secret['metadata']['name']}.{key} has a real-looking password"


# --- dev ---------------------------------------------------------------------------------------------------


def test_dev_runs_one_replica_of_everything():
    objects = rendered("dev")
    for obj in find(objects, "Deployment") + find(objects, "StatefulSet"):
        assert obj["spec"]["replicas"] == 1, obj["metadata"]["name"]
    assert find(objects, "HorizontalPodAutoscaler") == []


def test_dev_turns_debug_on_and_nothing_else_does(overlay, objects):
    assert config_value(objects, "DEBUG") == ("true" if overlay == "dev" else "false")


def test_dev_reaches_web_through_a_node_port():
    service = one(rendered("dev"), "Service", "web")["spec"]
    assert service["type"] == "NodePort"
    # No fixed nodePort: two namespaces running dev on one cluster would clash over it.
    assert service["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]


def test_dev_runs_postgres_and_redis_in_the_cluster():
    objects = rendered("dev")
    postgres = template(objects, "postgres")
    assert postgres.workload["kind"] == "StatefulSet"
    assert one(objects, "Service", "postgres")["spec"]["clusterIP"] == "None"
    container = postgres.container("postgres")
    assert container["image"] == "postgres:16.4-bookworm"
    assert postgres.effective_security(container, "runAsUser") == 10001
    assert postgres.spec["securityContext"]["fsGroup"] == 10001
    assert container["readinessProbe"]["exec"]["command"][0] == "pg_isready"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    pgdata = next(e["value"] for e in container["env"] if e["name"] == "PGDATA")
    data_mount = "/var/lib/postgresql/data"
    assert pgdata.startswith(data_mount + "/"), "PGDATA must be a subdirectory of the volume"
    assert "persistentVolumeClaim" in postgres.volume(mounts[data_mount])
    for path in ("/var/run/postgresql", "/tmp"):
        assert "emptyDir" in postgres.volume(mounts[path]), path

    redis = template(objects, "redis").container("redis")
    assert redis["image"] == "redis:7.4-bookworm"
    assert redis["args"][redis["args"].index("--save") + 1] == ""  # no snapshots: a cache and broker


def test_dev_database_url_matches_the_in_cluster_postgres():
    objects = rendered("dev")

    def decoded(name):
        secret = by_unhashed_name(objects, "Secret", name)
        return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}

    url = urlsplit(decoded("app-secrets")["DATABASE_URL"])
    credentials = decoded("postgres-credentials")
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == credentials["POSTGRES_USER"]
    assert url.password == credentials["POSTGRES_PASSWORD"]
    assert url.path == "/" + credentials["POSTGRES_DB"]
    assert urlsplit(decoded("app-secrets")["REDIS_URL"]).hostname == "redis"


# --- staging and prod ----------------------------------------------------------------------------------


def minimum_replicas(objects, name):
    """spec.replicas, or the minimum of the HPA that owns the count when the Deployment has none."""
    deployment = one(objects, "Deployment", name)
    if "replicas" in deployment["spec"]:
        return deployment["spec"]["replicas"]
    owners = [h for h in find(objects, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
    assert len(owners) == 1, f"{name} has no replica count and no HPA"
    return owners[0]["spec"].get("minReplicas", 1)


def test_production_runs_at_least_two_web_and_worker_pods_autoscaled(production_overlay):
    objects = rendered(production_overlay)
    for name in ("web", "worker"):
        assert minimum_replicas(objects, name) >= 2, name
        (hpa,) = [h for h in find(objects, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"] >= 2


def test_production_spreads_web_and_worker_over_nodes(production_overlay):
    objects = rendered(production_overlay)
    for name in ("web", "worker"):
        t = template(objects, name)
        constraints = t.spec.get("topologySpreadConstraints", [])
        by_node = [c for c in constraints if c["topologyKey"] == "kubernetes.io/hostname"]
        anti_affinity = t.spec.get("affinity", {}).get("podAntiAffinity")
        assert by_node or anti_affinity, name
        for constraint in constraints:
            assert selects(constraint["labelSelector"], t.labels), f"{name}: spread selector misses its own pods"


def test_production_serves_https_for_its_host(production_overlay):
    objects = rendered(production_overlay)
    (ingress,) = find(objects, "Ingress")
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    tls_hosts = [host for entry in ingress["spec"]["tls"] for host in entry["hosts"]]
    assert hosts and set(hosts) <= set(tls_hosts)
    assert all(entry.get("secretName") for entry in ingress["spec"]["tls"])
    assert "host.invalid" not in hosts  # the component's placeholder was replaced
    assert config_value(objects, "ALLOWED_HOSTS").split(",") == hosts
    assert config_value(objects, "CSRF_TRUSTED_ORIGINS").split(",") == [f"https://{h}" for h in hosts]


def test_production_uses_external_datastores(production_overlay):
    objects = rendered(production_overlay)
    names = {t.name for t in pod_templates(objects)}
    assert names == set(APP_WORKLOADS), "PostgreSQL and Redis are managed services outside the cluster"


def test_dev_code_is_writable_for_the_dev_loop_and_nowhere_else(overlay, objects):
    """skaffold sync and Tilt live_update write into /app; only dev makes it a volume."""
    for name in ("web", "worker", "beat"):
        t = template(objects, name)
        mounts = {m["mountPath"]: m["name"] for m in t.container(name)["volumeMounts"]}
        if overlay != "dev":
            assert "/app" not in mounts and not t.spec.get("initContainers"), name
            continue
        assert "emptyDir" in t.volume(mounts["/app"]), name
        (seed,) = t.spec["initContainers"]
        seed_mounts = {m["name"]: m["mountPath"] for m in seed["volumeMounts"]}
        assert seed["image"] == t.container(name)["image"], "seeded from the very image that runs"
        # /app is copied, timestamps kept, into the emptyDir that is mounted there; nothing else is.
        target = seed_mounts.pop(mounts["/app"])
        copy = f"find /app -mindepth 1 -maxdepth 1 -exec cp -R --preserve=mode,timestamps -t {target} {{}} +"
        assert seed["command"] == ["sh", "-c", copy], name
        assert seed_mounts == {}, name
        # The venv stays the image's (read-only); a changed dev lock installs into an empty volume on PYTHONPATH.
        assert "/opt/venv" not in mounts, name
        assert "emptyDir" in t.volume(mounts[DEV_PACKAGES]), name
        assert config_value(objects, "PYTHONPATH") == DEV_PACKAGES == "/opt/dev-packages"
