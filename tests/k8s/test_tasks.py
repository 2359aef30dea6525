"""The invoke tasks, run through the real `invoke` command line as a developer would."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tasks.k8s import kustomize
from tasks.paths import ROOT

pytestmark = pytest.mark.k8s


def invoke(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


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
    assert lines[-1].startswith("34 fields differ in 6 objects (4 workloads)")


@pytest.mark.slow
def test_validate_checks_every_overlay_against_every_version():
    result = invoke("k8s.validate")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.endswith(": ok")]) == 9
    assert lines[-1].startswith("k8s.validate: all valid, 3 overlays x 3 Kubernetes versions (1.26, 1.31, ")


@pytest.mark.parametrize("args", ["k8s.render prod", "k8s.parity"])
def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback(args):
    # `head -c 1` closes the pipe after one byte, long before the output ends.
    command = f"{sys.executable} -m invoke {args} | head -c 1 >/dev/null"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr
