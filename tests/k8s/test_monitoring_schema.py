"""The Prometheus Operator's objects against its schema: the real node, the real npm package.

tasks/k8s/monitoring_schema.mjs runs @kubernetes-models/prometheus-operator's validators (from
package-lock.json) and reports fields they never read as unknown, as the API server would.
"""

from __future__ import annotations

import copy
import subprocess

import pytest

from tasks.k8s import kustomize, monitoring_schema
from tests.k8s.manifests import find, rendered
from tests.support.needs import need

pytestmark = pytest.mark.k8s

DURATION_PATTERN = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"


@pytest.fixture(autouse=True)
def installed():
    missing = monitoring_schema.missing()
    need("node and @kubernetes-models/prometheus-operator", missing is None, missing or "")


def web_monitor() -> dict:
    return copy.deepcopy(find(rendered("prod"), "PodMonitor", "web")[0])


def test_the_lock_pins_the_package_this_runs():
    assert monitoring_schema.package_version() == "6.0.0"


def test_the_rendered_pod_monitors_are_valid(production_overlay):
    monitors = [o for o in rendered(production_overlay) if monitoring_schema.is_monitoring(o)]
    assert len(monitors) == 3
    assert monitoring_schema.validate(monitors) == []


def test_a_broken_pod_monitor_gets_one_line_per_problem():
    monitor = web_monitor()
    del monitor["spec"]["selector"]
    endpoint = monitor["spec"]["podMetricsEndpoints"][0]
    endpoint["interval"] = "15 seconds"
    endpoint["scheme"] = "ftp"
    endpoint["scrapeEvery"] = "30s"
    monitor["metadata"]["colour"] = "blue"
    assert monitoring_schema.validate([monitor]) == [
        "PodMonitor/web: spec.selector: required field is missing",
        f'PodMonitor/web: spec.podMetricsEndpoints[0].interval: "15 seconds" must match pattern "{DURATION_PATTERN}"',
        'PodMonitor/web: spec.podMetricsEndpoints[0].scheme: "ftp" must be one of: http, https, HTTP, HTTPS',
        "PodMonitor/web: metadata.colour: unknown field",
        "PodMonitor/web: spec.podMetricsEndpoints[0].scrapeEvery: unknown field",
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("podMetricsEndpoints", "metrics", 'spec.podMetricsEndpoints: "metrics" must be array'),
        ("sampleLimit", "many", 'spec.sampleLimit: "many" must be integer'),
        ("podMetricEndpoints", [{"port": "metrics"}], "spec.podMetricEndpoints: unknown field"),  # a typo
    ],
)
def test_wrong_types_and_misspelt_fields_fail(field, value, problem):
    monitor = web_monitor()
    monitor["spec"][field] = value
    assert monitoring_schema.validate([monitor]) == [f"PodMonitor/web: {problem}"]


def test_known_fields_deep_inside_and_free_form_maps_are_not_unknown():
    """No false alarms: nested known fields are read by the validators, and maps accept any key."""
    monitor = web_monitor()
    monitor["metadata"]["annotations"] = {"team.example.com/owner": "platform"}
    monitor["spec"]["namespaceSelector"] = {"matchNames": ["shipyard"]}
    monitor["spec"]["podMetricsEndpoints"][0] |= {
        "scrapeTimeout": "10s",
        "params": {"module": ["http_2xx"]},
        "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}],
        "metricRelabelings": [{"action": "drop", "regex": "go_.*", "sourceLabels": ["__name__"]}],
        "tlsConfig": {"insecureSkipVerify": False, "ca": {"secret": {"name": "ca", "key": "ca.crt"}}},
    }
    service_monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http", "interval": "1m30s"}]},
    }
    assert monitoring_schema.validate([monitor, service_monitor]) == []


def test_a_kind_the_operator_does_not_have_fails():
    gadget = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    assert monitoring_schema.validate([gadget]) == [
        "Gadget/g: no schema for monitoring.coreos.com/v1 Gadget: not a Prometheus Operator kind"
    ]


def test_the_script_reads_a_rendered_overlay_as_yaml_and_skips_other_kinds():
    result = subprocess.run(
        ["node", str(monitoring_schema.SCRIPT)], input=kustomize.render_yaml("prod"), capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, "checked 3 monitoring.coreos.com objects: ok\n"), result.stderr


def test_unreadable_input_is_one_line_and_exit_2():
    result = subprocess.run(["node", str(monitoring_schema.SCRIPT)], input="a: [", capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout.startswith("monitoring_schema: stdin is not YAML or JSON: ")
    assert len(result.stdout.splitlines()) == 1


def test_a_missing_package_says_to_run_npm_ci(tmp_path):
    message = monitoring_schema.missing(node_modules=tmp_path)
    assert message == (
        "npm packages @kubernetes-models/prometheus-operator and yaml are not installed: "
        "run `npm ci` at the repo root (bin/setup --services does)"
    )
