"""Reference integrity: every name one object uses for another resolves in the rendered output.

A Secret may instead be in k8s/out-of-band-secrets.yaml, the documented list of Secrets
created outside git, with the keys it must hold.
"""

from __future__ import annotations

import pytest
import yaml

from tests.k8s.conftest import OVERLAYS
from tests.k8s.manifests import (
    COMPONENT,
    OUT_OF_BAND,
    PodTemplate,
    by_unhashed_name,
    find,
    one,
    out_of_band,
    pod_templates,
    probes,
    rendered,
    selects,
)

pytestmark = pytest.mark.k8s


# --- Services, ports and probes ---------------------------------------------------------------------------


def selected_by_service(objects, service) -> list[PodTemplate]:
    selector = {"matchLabels": service["spec"]["selector"]}
    return [t for t in pod_templates(objects) if selects(selector, t.labels)]


def test_every_service_selects_pods_that_declare_its_target_port(objects):
    for service in find(objects, "Service"):
        name = service["metadata"]["name"]
        assert service["spec"].get("selector"), f"service {name} selects nothing"
        templates = selected_by_service(objects, service)
        assert templates, f"service {name} selects no pod template"
        for t in templates:
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                if isinstance(target, str):
                    assert target in t.port_names(), f"service {name}: {t.key} declares no port named {target}"
                else:
                    assert target in t.port_numbers(), f"service {name}: {t.key} declares no port {target}"


def test_the_web_service_is_port_80_to_http(objects):
    (port,) = one(objects, "Service", "web")["spec"]["ports"]
    assert (port["name"], port["port"], port["targetPort"]) == ("http", 80, "http")
    assert [t.name for t in selected_by_service(objects, one(objects, "Service", "web"))] == ["web"]


def test_every_probe_port_exists(objects):
    for t in pod_templates(objects):
        for c in t.containers():
            declared = {p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p}
            numbers = {p["containerPort"] for p in c.get("ports", [])}
            for kind, probe in probes(c):
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    if handler in probe:
                        port = probe[handler]["port"]
                        ok = port in declared if isinstance(port, str) else port in numbers
                        assert ok, f"{t.key} {c['name']} {kind}: port {port} is not declared by the container"


def test_statefulsets_name_a_headless_service_that_selects_them(objects):
    for statefulset in find(objects, "StatefulSet"):
        service = one(objects, "Service", statefulset["spec"]["serviceName"])
        assert service["spec"].get("clusterIP") == "None"
        assert PodTemplate(statefulset) in selected_by_service(objects, service)


def test_ingress_backends_exist(production_overlay):
    objects = rendered(production_overlay)
    for ingress in find(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = one(objects, "Service", backend["name"])
                assert backend["port"]["name"] in [p["name"] for p in service["spec"]["ports"]]


# --- ConfigMaps and Secrets ----------------------------------------------------------------------------------


def references(objects):
    """(kind, name, key or None, where) for every ConfigMap/Secret an object refers to."""
    for t in pod_templates(objects):
        for c in t.containers():
            where = f"{t.key} {c['name']}"
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    yield "ConfigMap", source["configMapRef"]["name"], None, where
                if "secretRef" in source:
                    yield "Secret", source["secretRef"]["name"], None, where
            for env in c.get("env", []):
                ref = env.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    yield "ConfigMap", ref["configMapKeyRef"]["name"], ref["configMapKeyRef"]["key"], where
                if "secretKeyRef" in ref:
                    yield "Secret", ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"], where
        for volume in t.spec.get("volumes", []):
            if "configMap" in volume:
                yield "ConfigMap", volume["configMap"]["name"], None, t.key
            if "secret" in volume:
                yield "Secret", volume["secret"]["secretName"], None, t.key
    for ingress in find(objects, "Ingress"):
        for entry in ingress["spec"].get("tls", []):
            yield "Secret", entry["secretName"], None, f"ingress/{ingress['metadata']['name']}"


def test_every_config_map_and_secret_reference_resolves(overlay, objects):
    listed = out_of_band(overlay)
    for kind, name, key, where in references(objects):
        exact = find(objects, kind, name)
        if exact:
            keys = set(exact[0].get("data", {})) | set(exact[0].get("stringData", {}))
        elif kind == "Secret" and name in listed:
            keys = set(listed[name])
        else:
            raise AssertionError(f"{where}: {kind} {name} is not rendered nor listed in out-of-band-secrets.yaml")
        assert key is None or key in keys, f"{where}: {kind} {name} has no key {key}"


def test_out_of_band_secrets_are_referenced_and_never_rendered(overlay, objects):
    referenced = {name for kind, name, _, _ in references(objects) if kind == "Secret"}
    for name in out_of_band(overlay):
        assert name in referenced, f"{name} is listed for {overlay} but nothing uses it"
        assert by_unhashed_name(objects, "Secret", name) is None, f"{name} is rendered in {overlay}"


def test_out_of_band_list_covers_every_overlay_and_matches_the_dev_secret():
    assert sorted(yaml.safe_load(OUT_OF_BAND.read_text())) == sorted(OVERLAYS)
    dev_keys = set(by_unhashed_name(rendered("dev"), "Secret", "app-secrets")["data"])
    assert dev_keys == {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    for overlay in OVERLAYS:
        if overlay != "dev":
            assert set(out_of_band(overlay)["app-secrets"]) == dev_keys, overlay


def test_service_accounts_exist(objects):
    for t in pod_templates(objects):
        one(objects, "ServiceAccount", t.spec["serviceAccountName"])


# --- Labels and selectors -------------------------------------------------------------------------------------


def test_every_workload_selects_exactly_its_own_pods(objects):
    templates = pod_templates(objects)
    for t in templates:
        if t.workload["kind"] == "Job":
            assert "selector" not in t.workload["spec"]  # the Job controller generates its own
            continue
        selector = t.workload["spec"]["selector"]
        assert selector == {"matchLabels": {"app.kubernetes.io/name": "shipyard", COMPONENT: t.name}}, t.key
        assert selects(selector, t.labels), f"{t.key} does not select its own pod template"
        others = [o.key for o in templates if o is not t and selects(selector, o.labels)]
        assert others == [], f"{t.key} also selects {others}"


def test_selectors_are_the_same_in_every_overlay():
    """Selectors are immutable: an overlay that changed one could never be applied over another."""
    selectors: dict[str, dict] = {}
    for overlay in OVERLAYS:
        for t in pod_templates(rendered(overlay)):
            if "selector" in t.workload["spec"]:
                assert selectors.setdefault(t.key, t.workload["spec"]["selector"]) == t.workload["spec"]["selector"]


def test_policy_selectors_match_pods(objects):
    templates = pod_templates(objects)
    for budget in find(objects, "PodDisruptionBudget"):
        assert [t for t in templates if selects(budget["spec"]["selector"], t.labels)], budget["metadata"]["name"]
    for policy in find(objects, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        if selector:
            assert [t for t in templates if selects(selector, t.labels)], policy["metadata"]["name"]
        for rule in policy["spec"].get("ingress", []) + policy["spec"].get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    assert [t for t in templates if selects(peer["podSelector"], t.labels)], policy["metadata"]["name"]


def test_autoscalers_target_existing_workloads(objects):
    for hpa in find(objects, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        one(objects, target["kind"], target["name"])


def test_common_labels_never_reach_a_selector(objects):
    """The labels transformer is configured with includeSelectors: false; check it held."""
    for t in pod_templates(objects):
        selector = t.workload["spec"].get("selector", {}).get("matchLabels", {})
        assert "app.kubernetes.io/part-of" not in selector, t.key
    for service in find(objects, "Service"):
        assert "app.kubernetes.io/part-of" not in service["spec"]["selector"]
