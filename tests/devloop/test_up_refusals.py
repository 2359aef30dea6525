"""`invoke up`'s refusals of options it cannot honour: one line, exit 2, before anything starts."""

from __future__ import annotations

from tasks.shared.local_ports import web_port_refusal
from tests.checks.cli import invoke_here


def test_web_port_is_taken_only_by_tilt_on_a_shared_cluster():
    assert web_port_refusal(0, tilt=False, namespace="") is None
    assert web_port_refusal(8003, tilt=True, namespace="dev-ana") is None
    assert web_port_refusal(8003, tilt=False, namespace="dev-ana").startswith("--web-port 8003 is for Tilt")
    assert web_port_refusal(8003, tilt=True, namespace="").startswith("--web-port 8003 is for a shared cluster")


def test_up_refuses_a_web_port_skaffold_would_ignore_in_one_line_before_anything_starts():
    result = invoke_here("up", "--web-port", "8003")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "up: --web-port 8003 is for Tilt (--tilt --namespace): skaffold forwards web to 8000, or to a free port it "
        "picks when that is taken, and up prints where; leave --web-port out"
    ]
    assert result.stdout == ""  # no phase started: no doctor, no engine
