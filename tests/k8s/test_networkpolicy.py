"""NetworkPolicies: default deny, then exactly the flows the stack needs, in every overlay.

Every connection between the stack's pods and the world, on every port that matters, is run
through the rendered policies and compared with the list of flows the stack needs.
"""

from __future__ import annotations

import pytest

from tasks import ports
from tests.k8s.manifests import APP_WORKLOADS, find, rendered
from tests.k8s.netpol import Peer, allowed, opened_by, our_pods

pytestmark = pytest.mark.k8s

INGRESS_CONTROLLER = Peer(
    "ingress-controller", "other-namespace", {"app.kubernetes.io/name": "ingress-nginx"}, namespace="ingress-nginx"
)
CLUSTER_DNS = Peer(
    "coredns", "other-namespace", {"k8s-app": "kube-dns"}, {"dns": 53, "dns-tcp": 53}, namespace="kube-system"
)
OUTSIDE = Peer("outside-the-cluster", "outside")  # browsers via NodePort, managed databases, the internet
# Prometheus in the namespace k8s/components/monitoring admits, and the same pod anywhere else.
PROMETHEUS_LABELS = {"app.kubernetes.io/name": "prometheus"}
PROMETHEUS = Peer("prometheus", "other-namespace", PROMETHEUS_LABELS, {"web": 9090}, namespace="monitoring")
PROMETHEUS_ELSEWHERE = Peer("prometheus-elsewhere", "other-namespace", PROMETHEUS_LABELS, namespace="default")
OTHERS = (INGRESS_CONTROLLER, CLUSTER_DNS, OUTSIDE, PROMETHEUS, PROMETHEUS_ELSEWHERE)
METRICS_PORT = ports.METRICS
SCRAPED = ("web", "worker", "beat")

PORTS = [
    (53, "UDP"),
    (53, "TCP"),
    (80, "TCP"),
    (443, "TCP"),
    (5432, "TCP"),
    (ports.DEBUGPY, "TCP"),
    (6379, "TCP"),
    (ports.WEB, "TCP"),
    (METRICS_PORT, "TCP"),
]
IN_CLUSTER_DATASTORES = {"postgres": 5432, "redis": 6379}


def needed(
    source: Peer, destination: Peer, port: int, protocol: str, external_datastores: bool, monitored: bool
) -> bool:
    """The flows the stack needs, and nothing else."""
    if source.ours and not destination.ours and port == 53:
        return True  # name resolution, for every pod
    if destination.name in SCRAPED and (port, protocol) == (METRICS_PORT, "TCP"):
        return monitored and source.namespace == "monitoring"  # Prometheus's scrapes, from its namespace only
    if destination.name == "web" and not source.ours:
        return (port, protocol) == (ports.WEB, "TCP")  # HTTP from the Ingress controller or the node port
    if source.name in APP_WORKLOADS and protocol == "TCP":
        if destination.ours:
            return IN_CLUSTER_DATASTORES.get(destination.name) == port
        return external_datastores and port in IN_CLUSTER_DATASTORES.values()
    return False


def test_flows_are_exactly_the_ones_the_stack_needs(overlay, objects):
    external_datastores = monitored = overlay != "dev"
    pods = our_pods(objects)
    pairs = (
        [(s, d) for s in pods for d in pods]
        + [(p, o) for p in pods for o in OTHERS]
        + [(o, p) for p in pods for o in OTHERS]
    )
    wrong = []
    for source, destination in pairs:
        ports = PORTS + [(p, "TCP") for p in destination.ports.values()]
        for port, protocol in sorted(set(ports)):
            want = needed(source, destination, port, protocol, external_datastores, monitored)
            got = allowed(objects, source, destination, port, protocol)
            if want != got:
                wrong.append(f"{source.name} -> {destination.name}:{port}/{protocol}: {'allowed' if got else 'denied'}")
    assert wrong == [], "\n".join(wrong)


def test_everything_is_denied_by_default(objects):
    (deny,) = [p for p in find(objects, "NetworkPolicy") if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_dns_is_allowed_over_udp_and_tcp(objects):
    for pod in our_pods(objects):
        assert allowed(objects, pod, CLUSTER_DNS, 53, "UDP") and allowed(objects, pod, CLUSTER_DNS, 53, "TCP"), pod.name


def test_the_evaluator_denies_what_no_policy_allows():
    """The evaluator itself: without the allow policies, nothing but the default deny is left."""
    pods = our_pods(rendered("dev"))
    only_deny = [
        {
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    ]
    web = next(p for p in pods if p.name == "web")
    assert not allowed(only_deny, INGRESS_CONTROLLER, web, ports.WEB)
    assert not allowed(only_deny, web, CLUSTER_DNS, 53, "UDP")
    assert allowed([], INGRESS_CONTROLLER, web, ports.WEB)  # no policy at all: open


def test_only_the_monitoring_policy_opens_the_metrics_port(overlay, objects):
    """Whoever the peer: no other policy, web's public one included, admits anything to port 9100."""
    for pod in our_pods(objects):
        if pod.name in SCRAPED:
            assert pod.ports["metrics"] == METRICS_PORT, pod.name
            expected = [] if overlay == "dev" else ["metrics-ingress"]
            assert opened_by(objects, pod, METRICS_PORT) == expected, pod.name
            assert opened_by(objects, pod, ports.WEB) == (["web-ingress"] if pod.name == "web" else []), pod.name


def test_prometheus_reaches_the_metrics_port_by_namespace_not_by_labels(production_overlay):
    objects = rendered(production_overlay)
    for pod in our_pods(objects):
        if pod.name in SCRAPED:
            assert allowed(objects, PROMETHEUS, pod, METRICS_PORT), pod.name
            assert not allowed(objects, PROMETHEUS_ELSEWHERE, pod, METRICS_PORT), pod.name
            # web's http is public
            assert not allowed(objects, PROMETHEUS, pod, ports.WEB) or pod.name == "web", pod.name
