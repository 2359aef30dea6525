"""A small NetworkPolicy evaluator: is a connection allowed by the rendered policies?

It follows the networking.k8s.io/v1 semantics for what this stack uses: policies add up;
a pod selected by no policy of a type is open in that direction; an empty `from`/`to` or
`ports` list matches everything; a named port resolves on the destination pod. Peers outside
the namespace are either pods of another namespace (an Ingress controller, CoreDNS, Prometheus)
or addresses outside the cluster. A namespaceSelector sees one label of a namespace, the
kubernetes.io/metadata.name the API server gives each; our own namespace's name is chosen at
deploy time, so only `{}` matches it. One simplification: any ipBlock matches any outside address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.k8s.manifests import pod_templates, selects

NAMESPACE_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Peer:
    name: str
    where: str  # "namespace" (one of our pods), "other-namespace" or "outside"
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    ports: dict[str, int] = field(default_factory=dict, hash=False)  # named container ports
    namespace: str = ""  # the other namespace's name; "" for ours (unknown) and for outside

    @property
    def ours(self) -> bool:
        return self.where == "namespace"


def our_pods(objects: list[dict[str, Any]]) -> list[Peer]:
    return [Peer(t.name, "namespace", t.labels, t.port_names()) for t in pod_templates(objects)]


def _policy_types(policy: dict[str, Any]) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def _peer_matches(rule_peers: list[dict[str, Any]] | None, peer: Peer) -> bool:
    if not rule_peers:
        return True
    for entry in rule_peers:
        if "ipBlock" in entry:
            if peer.where == "outside":
                return True
            continue
        namespace_selector, pod_selector = entry.get("namespaceSelector"), entry.get("podSelector")
        if namespace_selector is None:  # a podSelector alone means pods of the policy's namespace
            matched = peer.ours and selects(pod_selector, peer.labels)
        else:  # namespaceSelector {} is every namespace; otherwise only a name can match
            namespace_labels = {NAMESPACE_NAME: peer.namespace} if peer.namespace else {}
            matched = peer.where != "outside" and selects(namespace_selector, namespace_labels)
            matched = matched and (pod_selector is None or selects(pod_selector, peer.labels))
        if matched:
            return True
    return False


def _port_matches(rule_ports: list[dict[str, Any]] | None, port: int, protocol: str, destination: Peer) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if destination.ports.get(wanted) == port:
                return True
        elif wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


def _allowed_one_way(policies, pod: Peer, other: Peer, direction: str, port: int, protocol: str, destination: Peer):
    kind, rules_key, peers_key = {"egress": ("Egress", "egress", "to"), "ingress": ("Ingress", "ingress", "from")}[
        direction
    ]
    governing = [p for p in policies if kind in _policy_types(p) and selects(p["spec"]["podSelector"], pod.labels)]
    if not governing:
        return True
    return any(
        _peer_matches(rule.get(peers_key), other) and _port_matches(rule.get("ports"), port, protocol, destination)
        for policy in governing
        for rule in policy["spec"].get(rules_key, [])
    )


def allowed(objects: list[dict[str, Any]], source: Peer, destination: Peer, port: int, protocol: str = "TCP") -> bool:
    """Whether `source` may open a connection to `destination` on port/protocol."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    out = not source.ours or _allowed_one_way(policies, source, destination, "egress", port, protocol, destination)
    into = not destination.ours or _allowed_one_way(
        policies, destination, source, "ingress", port, protocol, destination
    )
    return out and into


def opened_by(objects: list[dict[str, Any]], destination: Peer, port: int, protocol: str = "TCP") -> list[str]:
    """Names of the policies that accept connections to destination's port from some peer."""
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    return sorted(
        policy["metadata"]["name"]
        for policy in policies
        if "Ingress" in _policy_types(policy) and selects(policy["spec"]["podSelector"], destination.labels)
        if any(
            _port_matches(rule.get("ports"), port, protocol, destination) for rule in policy["spec"].get("ingress", [])
        )
    )
