"""The invoke tasks, run through the real `invoke` command line as a developer would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks.k8s import kustomize, monitoring_schema
from tasks.paths import ROOT
from tests.support.checkout import tasks_checkout
from tests.support.needs import need

pytestmark = pytest.mark.k8s


def invoke(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def needs_node() -> None:
    missing = monitoring_schema.missing()
    need("node and @kubernetes-models/prometheus-operator", missing is None, missing or "")


def test_render_prints_the_overlay():
    result = invoke("k8s.render", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout == kustomize.render_yaml("prod")
    assert {o["kind"] for o in yaml.safe_load_all(result.stdout)} >= {"Deployment", "Ingress"}


@pytest.mark.parametrize("args", [("k8s.render", "nope"), ("k8s.parity", "--right", "nope")])
def test_an_unknown_overlay_is_one_line_listing_the_overlays(args):
    result = invoke(*args)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip() == "unknown overlay 'nope': choose one of dev, prod, staging"


def test_parity_prints_each_differing_field_with_both_values():
    result = invoke("k8s.parity")  # dev vs prod unless told otherwise
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "parity: dev vs prod"
    assert "deployment/beat: 7 fields differ" in lines
    assert (
        '  spec.template.spec.containers[migrate].image: dev="shipyard-app:dev" prod="shipyard-app@sha256:'
        + "0" * 64
        + '"'
        in lines
    )
    assert lines[-1].startswith("36 fields differ in 6 objects (4 workloads)")


@pytest.mark.slow
def test_validate_checks_every_overlay_against_every_version():
    needs_node()
    result = invoke("k8s.validate")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # 3 overlays and 2 standalone kustomizations x 3 Kubernetes versions, and the PodMonitors of staging and prod
    # against the operator's schema.
    assert len([line for line in lines if line.endswith(": ok")]) == 15 + 2
    assert "prod: 3 objects against @kubernetes-models/prometheus-operator 6.0.0: ok" in lines
    assert "dev-namespace-rbac-example: 5 objects against Kubernetes 1.26: ok" in lines
    assert lines[-1].startswith(
        "k8s.validate: all valid, 5 kustomizations (3 overlays, dev-namespace, dev-namespace-rbac-example) "
        "x 3 Kubernetes versions (1.26, 1.31, "
    )
    assert lines[-1].endswith(", and prod, staging against @kubernetes-models/prometheus-operator 6.0.0")


def copy_of_the_repo(tmp_path: Path) -> Path:
    """tasks/ and k8s/ in a scratch folder, to break a manifest in; node_modules is the real one."""
    tasks_checkout(tmp_path, "k8s")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


@pytest.mark.slow
def test_validate_fails_a_broken_pod_monitor_with_one_line_per_problem(tmp_path):
    needs_node()
    copy = copy_of_the_repo(tmp_path)
    monitors = copy / "k8s" / "components" / "monitoring" / "podmonitors.yaml"
    text = monitors.read_text()
    web, rest = text.split("---\n", 1)
    web = web.replace("interval: 30s", "interval: 15 seconds\n      scrapeEvery: 30s")
    web = web.replace("  selector:\n    matchLabels:\n", "  podSelector:\n    matchLabels:\n")
    monitors.write_text(web + "---\n" + rest)
    result = invoke("k8s.validate", cwd=copy)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    problems = [
        "  PodMonitor/web: spec.selector: required field is missing",
        '  PodMonitor/web: spec.podMetricsEndpoints[0].interval: "15 seconds" must match pattern "^(0|',
        "  PodMonitor/web: spec.podMetricsEndpoints[0].scrapeEvery: unknown field",
        "  PodMonitor/web: spec.podSelector: unknown field",
    ]
    for overlay in ("prod", "staging"):
        at = lines.index(f"{overlay}: 3 objects against @kubernetes-models/prometheus-operator 6.0.0: FAILED")
        reported = lines[at + 1 : at + 5]
        assert [line[: len(want)] for line, want in zip(reported, problems, strict=True)] == problems
    assert len([line for line in lines if line.endswith(": ok")]) == 15  # Kubernetes' own kinds are fine
    assert result.stderr.strip().startswith("k8s.validate: 2 of 17 checks failed (5 kustomizations (3 overlays, ")


def test_validate_without_node_says_how_to_install_it_in_one_line():
    # Only the virtualenv on PATH: kubectl and kubernetes-validate are found there, node is not.
    result = invoke("k8s.validate", env={**os.environ, "PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "k8s.validate: cannot check the PodMonitors of prod, staging: node (Node.js >= 20) is not on PATH: "
        "install it, then run `npm ci` at the repo root (bin/setup --services does)"
    )


@pytest.mark.parametrize("args", ["k8s.render prod", "k8s.parity"])
def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback(args):
    # `head -c 1` closes the pipe after one byte, long before the output ends.
    command = f"{sys.executable} -m invoke {args} | head -c 1 >/dev/null"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr
