"""Parity: dev runs what prod runs. Every difference is listed here, so any new drift fails."""

from __future__ import annotations

import copy

import pytest

from tasks.k8s.overlay_diff import ABSENT, compare, format_report
from tests.k8s.manifests import rendered

pytestmark = pytest.mark.k8s

CONTAINERS = "spec.template.spec.containers"
SPREAD = "spec.template.spec.topologySpreadConstraints"


def fields(object_key: str, *paths: str) -> set[tuple[str, str]]:
    return {(object_key, path) for path in paths}


def writable_app(name: str) -> set[tuple[str, str]]:
    """dev's /app is an emptyDir seeded by an init container, for the dev loop's sync; /opt/dev-packages
    an empty one for what a changed dev lock adds."""
    return fields(
        f"deployment/{name}",
        "spec.template.spec.initContainers",
        "spec.template.spec.volumes[app]",
        "spec.template.spec.volumes[dev-packages]",
        f"{CONTAINERS}[{name}].volumeMounts[app]",
        f"{CONTAINERS}[{name}].volumeMounts[dev-packages]",
    )


DEV_VS_PROD = (
    # The HPA owns the replica count in prod, dev runs one; the dev image target runs the
    # reloading commands; prod spreads its pods over nodes and zones.
    fields("deployment/web", "spec.replicas", f"{CONTAINERS}[web].image", f"{CONTAINERS}[web].command", SPREAD)
    # dev's web listens for a debugger (debugpy) beside HTTP.
    | fields("deployment/web", f"{CONTAINERS}[web].ports[debugpy]")
    | fields(
        "deployment/worker", "spec.replicas", f"{CONTAINERS}[worker].image", f"{CONTAINERS}[worker].command", SPREAD
    )
    | fields("deployment/beat", f"{CONTAINERS}[beat].image", f"{CONTAINERS}[beat].command")
    | writable_app("web")
    | writable_app("worker")
    | writable_app("beat")
    | fields("job/migrate", f"{CONTAINERS}[migrate].image", "spec.template.spec.initContainers[wait-for-db].image")
    # DEBUG on in dev; prod's public host (CSRF_TRUSTED_ORIGINS is unset in dev).
    | fields("configmap/app-config", "data.DEBUG", "data.ALLOWED_HOSTS", "data.CSRF_TRUSTED_ORIGINS")
    # dev's worker notices a reload faster (k8s/overlays/dev/worker-command.yaml).
    | fields("configmap/app-config", "data.CELERY_BROKER_POLLING_INTERVAL")
    # dev logs readable text; prod one JSON object per line (app/ops/logs.py).
    | fields("configmap/app-config", "data.LOG_FORMAT")
    # The dev server applies migrations that arrive by sync on its next reload (app/devtools/devserver.py).
    | fields("configmap/app-config", "data.DEVSERVER_MIGRATE")
    # What Tilt installs from a changed dev lock shadows the image's venv (app/devtools/dev_lock.py).
    | fields("configmap/app-config", "data.PYTHONPATH")
    # dev reaches web through a node port, prod through its Ingress.
    | fields("service/web", "spec.type")
)
ONLY_IN_DEV = {
    "statefulset/postgres",
    "service/postgres",
    "networkpolicy/postgres-ingress",
    "networkpolicy/app-egress-postgres",
    "secret/postgres-credentials",
    "deployment/redis",
    "service/redis",
    "networkpolicy/redis-ingress",
    "networkpolicy/app-egress-redis",
    "secret/app-secrets",  # prod's is created out of band
}
ONLY_IN_PROD = {
    "horizontalpodautoscaler/web",
    "horizontalpodautoscaler/worker",
    "ingress/web",
    "networkpolicy/app-egress-datastores",
    # Prometheus scrapes prod (k8s/components/monitoring); dev's cluster has no Prometheus Operator.
    # The metrics port and its settings are in both: dev serves the same /metrics.
    "podmonitor/web",
    "podmonitor/worker",
    "podmonitor/beat",
    "networkpolicy/metrics-ingress",
}

STAGING_VS_PROD = (
    fields("deployment/web", f"{CONTAINERS}[web].image")
    | fields("deployment/worker", f"{CONTAINERS}[worker].image")
    | fields("deployment/beat", f"{CONTAINERS}[beat].image")
    | fields("job/migrate", f"{CONTAINERS}[migrate].image", "spec.template.spec.initContainers[wait-for-db].image")
    | fields("horizontalpodautoscaler/web", "spec.minReplicas", "spec.maxReplicas")
    | fields("horizontalpodautoscaler/worker", "spec.minReplicas", "spec.maxReplicas")
    | fields("ingress/web", "spec.rules[0].host", "spec.tls[0].hosts")
    | fields("configmap/app-config", "data.ALLOWED_HOSTS", "data.CSRF_TRUSTED_ORIGINS")
)


def test_dev_differs_from_prod_only_where_listed():
    report = compare("dev", rendered("dev"), "prod", rendered("prod"))
    assert set(report.only_left) == ONLY_IN_DEV
    assert set(report.only_right) == ONLY_IN_PROD
    assert report.fields() == DEV_VS_PROD, format_report(report)


def test_staging_differs_from_prod_only_where_listed():
    report = compare("staging", rendered("staging"), "prod", rendered("prod"))
    assert report.only_left == report.only_right == []
    assert report.fields() == STAGING_VS_PROD, format_report(report)


def test_dev_and_prod_run_the_same_workloads_ports_and_probes():
    """What the listed differences leave alone, spelled out: the contract dev must keep."""
    report = compare("dev", rendered("dev"), "prod", rendered("prod"))
    workloads = {"deployment/web", "deployment/worker", "deployment/beat", "job/migrate"}
    assert workloads <= set(report.differences) | set(report.identical)
    guarded = {"ports", "env", "envFrom", "securityContext", "resources"}
    for key, path in report.fields():
        segments = {segment.split("[")[0] for segment in path.split(".")}
        assert (
            not (segments & guarded or any(segment.endswith("Probe") for segment in segments))
            or key == "service/web"
            or path == f"{CONTAINERS}[web].ports[debugpy]"  # an extra port; http stays the same
        )


def test_a_new_drift_shows_up_as_its_own_field():
    prod = copy.deepcopy(rendered("prod"))
    web = next(o for o in prod if o["kind"] == "Deployment" and o["metadata"]["name"] == "web")
    web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/ready"
    report = compare("dev", rendered("dev"), "prod", prod)
    assert report.fields() - DEV_VS_PROD == {("deployment/web", f"{CONTAINERS}[web].readinessProbe.httpGet.path")}
    (drift,) = [d for d in report.differences["deployment/web"] if d.path.endswith("httpGet.path")]
    assert (drift.left, drift.right) == ("/readyz", "/ready")


def test_the_report_names_both_values_and_absence():
    text = format_report(compare("dev", rendered("dev"), "prod", rendered("prod")))
    assert f'  {CONTAINERS}[web].command: dev=["sh", "-c", "python manage.py wait_for_db --timeout 240 && exec' in text
    assert f"  spec.replicas: dev=1 prod={ABSENT}" in text
    assert text.splitlines()[0] == "parity: dev vs prod"
