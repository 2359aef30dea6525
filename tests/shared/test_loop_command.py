"""The loop's command line on a shared cluster (tasks/devloop/loop.py): the namespace, the team's registry, the
checked context for the Tiltfile's guard and the developer's own local ports; and where skaffold forwarded web
(tasks/shared/skaffold_state.py), from the state its API gave in a real run."""

from __future__ import annotations

from tasks.devloop.loop import LocalPorts, command, delete_command
from tasks.devloop.targets import Target
from tasks.shared.skaffold_state import forwarded

SHARED = Target("shared", "team-dev", "", "registry.example.com/team", namespace="dev-alice")
LOCAL = LocalPorts(web=8001, tilt_ui=10351, skaffold_api=50053)


def test_skaffold_pushes_to_the_team_registry_deploys_to_the_namespace_and_serves_its_state():
    argv, _ = command(SHARED, tilt=False, offline=True, local=LOCAL)
    assert argv[:2] == ["skaffold", "dev"]
    flags = " ".join(argv)
    assert "--kube-context team-dev --default-repo registry.example.com/team --namespace dev-alice" in flags
    assert "--rpc-http-port=50053" in argv and argv[-2:] == ["--profile", "offline"]


def test_tilt_gets_the_namespace_its_own_ui_port_and_the_tiltfile_the_registry_context_and_web_port():
    argv, _ = command(SHARED, tilt=True, offline=False, local=LOCAL)
    assert argv == [
        "tilt",
        "up",
        "--context",
        "team-dev",
        "--namespace",
        "dev-alice",
        "--port",
        "10351",
        "--",
        "--registry",
        "registry.example.com/team",
        "--shared-context",
        "team-dev",
        "--web-port",
        "8001",
    ]


def test_down_removes_from_the_namespace_only_and_tilt_down_passes_the_tiltfile_guard():
    assert delete_command(SHARED, tilt=False)[0] == [
        "skaffold",
        "delete",
        "--kube-context",
        "team-dev",
        "--namespace",
        "dev-alice",
    ]
    assert delete_command(SHARED, tilt=True)[0] == [
        "tilt",
        "down",
        "--context",
        "team-dev",
        "--namespace",
        "dev-alice",
        "--",
        "--shared-context",
        "team-dev",
    ]


def test_a_local_loop_keeps_its_command():
    local = Target("test-cluster", "shipyard-test", "", "127.0.0.1:5000")
    argv, _ = command(local, tilt=True, offline=True)
    assert argv == ["tilt", "up", "--context", "shipyard-test", "--", "--offline"]


# What skaffold 2.24's /v1/state said in a real run with another loop elsewhere (forwardedPorts only).
STATE = {
    "forwardedPorts": {
        "5678": {"localPort": 5678, "remotePort": 5678, "resourceType": "deployment", "resourceName": "web"},
        "8001": {"localPort": 8001, "remotePort": 80, "resourceType": "service", "resourceName": "web"},
    }
}


def test_webs_forward_is_read_from_skaffolds_state():
    assert forwarded(STATE, "web", 80) == 8001
    assert forwarded(STATE, "web", 5678) == 5678
    assert forwarded({}, "web", 80) is None
