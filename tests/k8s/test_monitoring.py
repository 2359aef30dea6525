"""Metrics: web, worker and beat serve them on their `metrics` port (9100) everywhere; staging and prod let Prometheus
scrape them (k8s/components/monitoring); nothing public ever routes to that port."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tasks import ports
from tasks.k8s import kustomize
from tasks.paths import tool
from tests.k8s.manifests import by_unhashed_name, find, one, pod_templates, rendered, selects, template
from tests.k8s.netpol import Peer, allowed, our_pods

pytestmark = pytest.mark.k8s

SCRAPED = ("web", "worker", "beat")
METRICS_ENV = {"METRICS_PORT": str(ports.METRICS), "PROMETHEUS_MULTIPROC_DIR": "/tmp/metrics"}
COMPONENT_DIR = kustomize.K8S_ROOT / "components" / "monitoring"
DURATION = re.compile(r"^([0-9]+(ms|s|m|h))+$")


def monitoring_objects(objects):
    return [o for o in objects if o["apiVersion"].startswith("monitoring.coreos.com/")]


# --- The metrics port and its settings, in every overlay -----------------------------------------


def test_web_worker_and_beat_serve_metrics_on_their_metrics_port(objects):
    for name in SCRAPED:
        container = template(objects, name).container(name)
        declared = {p["name"]: p for p in container["ports"]}
        assert declared["metrics"] == {"name": "metrics", "containerPort": ports.METRICS, "protocol": "TCP"}, name
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert {k: env.get(k) for k in METRICS_ENV} == METRICS_ENV, name
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, f"{name}: PROMETHEUS_MULTIPROC_DIR is not on the /tmp emptyDir"


def test_the_migrate_job_and_the_shared_config_carry_no_metrics_settings(objects):
    config = by_unhashed_name(objects, "ConfigMap", "app-config")
    assert not METRICS_ENV.keys() & config["data"].keys()
    for container in template(objects, "migrate").containers():
        assert not METRICS_ENV.keys() & {e["name"] for e in container.get("env", [])}
        assert not container.get("ports")


def test_no_service_and_no_ingress_reach_the_metrics_port(objects):
    for service in find(objects, "Service"):
        selected = [
            t for t in pod_templates(objects) if selects({"matchLabels": service["spec"]["selector"]}, t.labels)
        ]
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            assert target not in ("metrics", ports.METRICS), f"service {service['metadata']['name']} exposes metrics"
            for t in selected:  # a number that happens to be the metrics port counts too
                assert t.port_names().get(target, target) != ports.METRICS, f"service {service['metadata']['name']}"
    (web_port,) = one(objects, "Service", "web")["spec"]["ports"]
    assert web_port["targetPort"] == "http"
    for ingress in find(objects, "Ingress"):
        backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
        assert backends == [{"name": "web", "port": {"name": "http"}}]


# --- The component: in staging and prod, not in dev ------------------------------------------------


def test_staging_and_prod_render_the_pod_monitors_and_their_policy(production_overlay):
    objects = rendered(production_overlay)
    assert sorted(o["metadata"]["name"] for o in find(objects, "PodMonitor")) == sorted(SCRAPED)
    assert [o["kind"] for o in monitoring_objects(objects)] == ["PodMonitor"] * 3
    one(objects, "NetworkPolicy", "metrics-ingress")


def test_dev_renders_nothing_of_the_prometheus_operator():
    objects = rendered("dev")
    assert monitoring_objects(objects) == []
    assert find(objects, "NetworkPolicy", "metrics-ingress") == []


def test_each_pod_monitor_scrapes_exactly_its_deployments_pods_on_a_declared_port(production_overlay):
    objects = rendered(production_overlay)
    for monitor in find(objects, "PodMonitor"):
        name, spec = monitor["metadata"]["name"], monitor["spec"]
        deployment = one(objects, "Deployment", name)
        assert spec["selector"] == deployment["spec"]["selector"], name
        assert [t.key for t in pod_templates(objects) if selects(spec["selector"], t.labels)] == [f"deployment/{name}"]
        assert "namespaceSelector" not in spec, f"{name}: scrapes only its own namespace"
        (endpoint,) = spec["podMetricsEndpoints"]
        # Prometheus matches the endpoint's port against the pod's container port names.
        container_ports = {p["name"] for p in template(objects, name).container(name)["ports"]}
        assert endpoint["port"] in container_ports, name
        assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics"), name
        assert DURATION.match(endpoint["interval"]), name
        assert monitor["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shipyard"


# --- What the comments tell an operator to patch, done as they say ---------------------------------


def documented_patch(path: Path) -> list[dict]:
    """The `patches:` an overlay is told to add, from the commented example at the top of path."""
    comment = [line.removeprefix("#") for line in path.read_text().splitlines() if line.startswith("#")]
    start = comment.index("   patches:")
    return yaml.safe_load("\n".join(line.removeprefix("  ") for line in comment[start:]))["patches"]


def render_staging_with(tmp_path: Path, patches: list[dict]) -> list[dict]:
    staging = os.path.relpath(kustomize.K8S_ROOT / "overlays" / "staging", tmp_path)  # kustomize refuses absolute
    kustomization = {"resources": [staging], "patches": patches}
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    result = subprocess.run([tool("kubectl"), "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    return kustomize.parse(result.stdout)


def test_the_documented_namespace_patch_moves_the_scraper(tmp_path):
    objects = render_staging_with(tmp_path, documented_patch(COMPONENT_DIR / "networkpolicy.yaml"))
    labels = {"app.kubernetes.io/name": "prometheus"}
    moved = Peer("prometheus", "other-namespace", labels, namespace="observability")
    old = Peer("prometheus", "other-namespace", labels, namespace="monitoring")
    for pod in our_pods(objects):
        if pod.name in SCRAPED:
            assert allowed(objects, moved, pod, ports.METRICS) and not allowed(objects, old, pod, ports.METRICS), (
                pod.name
            )


def test_the_documented_label_patch_reaches_every_pod_monitor(tmp_path):
    objects = render_staging_with(tmp_path, documented_patch(COMPONENT_DIR / "podmonitors.yaml"))
    monitors = find(objects, "PodMonitor")
    assert len(monitors) == 3
    assert all(m["metadata"]["labels"]["release"] == "kube-prometheus-stack" for m in monitors)
