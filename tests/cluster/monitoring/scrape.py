"""Prometheus scrape configs made from the rendered PodMonitors, as the Prometheus Operator would make them.

The test cluster has no Prometheus Operator (and no PodMonitor CRD), so the PodMonitors of
k8s/components/monitoring cannot be applied; instead each of their endpoints becomes a job of pod
discovery that keeps only the pods their selector names, and of those only the container port their
endpoint names. Prometheus then finds the pods only if the PodMonitors really target them: that is
what the test proves. A field this translation does not know fails loudly rather than being dropped.
"""

from __future__ import annotations

import re
from typing import Any

from tasks.k8s.monitoring_schema import is_monitoring

# The endpoint fields translated below; anything else (relabelings, TLS, auth...) would be ignored.
KNOWN_ENDPOINT_FIELDS = {"port", "path", "interval", "scrapeTimeout", "scheme", "honorLabels"}
KNOWN_SPEC_FIELDS = {"selector", "podMetricsEndpoints", "namespaceSelector"}


def split(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what the cluster can apply, the PodMonitors): every monitoring.coreos.com object is left out of the
    first, since no CRD defines it here."""
    applicable = [d for d in docs if not is_monitoring(d)]
    monitors = [d for d in docs if is_monitoring(d) and d["kind"] == "PodMonitor"]
    return applicable, monitors


def meta_label(name: str) -> str:
    """The discovery label of pod label NAME: `app.kubernetes.io/name` -> `..._app_kubernetes_io_name`."""
    return "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", name)


def keep(source: str, value: str) -> dict[str, Any]:
    # Prometheus anchors the regex; RE2 accepts Python's escapes of punctuation.
    return {"source_labels": [source], "regex": re.escape(value), "action": "keep"}


def scrape_configs(monitors: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """One job per PodMonitor endpoint, discovering pods in NAMESPACE (where the PodMonitors would live)."""
    jobs = []
    for monitor in monitors:
        name, spec = monitor["metadata"]["name"], monitor["spec"]
        unknown = set(spec) - KNOWN_SPEC_FIELDS
        assert not unknown, f"PodMonitor {name}: {sorted(unknown)} not translated by tests/cluster/monitoring/scrape.py"
        selector = spec["selector"]
        assert set(selector) <= {"matchLabels"}, f"PodMonitor {name}: only matchLabels selectors are translated"
        assert spec.get("namespaceSelector", {}) in ({}, {"matchNames": [namespace]}), (
            f"PodMonitor {name} looks beyond its own namespace: the test's Prometheus may list pods only there"
        )
        for index, endpoint in enumerate(spec["podMetricsEndpoints"]):
            unknown = set(endpoint) - KNOWN_ENDPOINT_FIELDS
            assert not unknown, f"PodMonitor {name}: endpoint {sorted(unknown)} not translated by scrape.py"
            assert "port" in endpoint, f"PodMonitor {name}: an endpoint without a named port"
            relabel = [keep(meta_label(label), value) for label, value in selector.get("matchLabels", {}).items()]
            relabel += [
                keep("__meta_kubernetes_pod_container_port_name", endpoint["port"]),
                # A finished pod's address may already be another pod's (the Operator drops them too).
                {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "(Failed|Succeeded)", "action": "drop"},
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
            ]
            job = {
                "job_name": f"podMonitor/{namespace}/{name}/{index}",
                "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [namespace]}}],
                "metrics_path": endpoint.get("path", "/metrics"),
                "scheme": endpoint.get("scheme", "http"),
                "honor_labels": endpoint.get("honorLabels", False),
                "relabel_configs": relabel,
            }
            if "interval" in endpoint:
                job["scrape_interval"] = endpoint["interval"]
            if "scrapeTimeout" in endpoint:
                job["scrape_timeout"] = endpoint["scrapeTimeout"]
            jobs.append(job)
    return jobs
