"""tasks/shared/namespace.py's refusal: the loop deploys only into the developer's own dev namespace."""

from __future__ import annotations

import pytest

from tasks.shared.namespace import OWNER, refusal


@pytest.mark.parametrize(
    ("name", "labels", "why"),
    [
        ("default", None, "namespace default is the cluster's own: use your dev namespace, e.g. --namespace dev-alice"),
        ("kube-system", {}, "namespace kube-system is the cluster's own"),
        ("kube-public", {OWNER: "alice"}, "namespace kube-public is the cluster's own"),
        ("shop", {}, "namespace shop exists but is no dev namespace (no shipyard.dev/dev-namespace-of label)"),
        ("dev-bob", {OWNER: "bob"}, "namespace dev-bob is bob's dev namespace, not yours (alice)"),
        ("shop", {OWNER: "alice", "environment": "prod"}, "namespace shop is labelled environment=prod"),
        ("shop", {OWNER: "alice", "example.com/env": "Staging"}, "namespace shop is labelled example.com/env=Staging"),
        ("shop", {"stage": "production"}, "namespace shop is labelled stage=production"),
    ],
)
def test_refused(name, labels, why):
    assert refusal(name, labels, "alice").startswith(why)


@pytest.mark.parametrize(
    ("name", "labels"),
    [("dev-alice", None), ("dev-alice", {OWNER: "alice", "pod-security.kubernetes.io/enforce": "restricted"})],
)
def test_the_developers_own_or_a_new_one_is_not(name, labels):
    assert refusal(name, labels, "alice") == ""
