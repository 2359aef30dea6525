"""`invoke lint` passes on this tree, and each of its checks really finds problems."""

from __future__ import annotations

import itertools
import re

import pytest
import yaml

from tasks.checks import checkov
from tasks.paths import ROOT
from tests.checks.cli import invoke

pytestmark = pytest.mark.k8s  # checkov reads the rendered overlays


@pytest.mark.slow
def test_lint_passes():
    result = invoke("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        "ok   ruff check",
        "ok   ruff format",
        "ok   hadolint",
        "ok   actionlint",
        "ok   checkov",
    ]
    assert lines[-1] == "lint: all 5 checks passed"


def test_every_checkov_skip_has_a_reason():
    config = ROOT / ".checkov.yaml"
    skips = yaml.safe_load(config.read_text())["skip-check"]
    assert skips, "no skips: then drop this test"
    lines = config.read_text().splitlines()
    for above, line in itertools.pairwise(lines):
        if re.match(r"\s*-\s*CKV", line):
            assert re.match(r"\s*#\s*\S.{10,}", above), f"a skip without a one-line reason above it: {line.strip()}"
    assert len(skips) == len(set(skips))


@pytest.mark.slow
def test_checkov_still_reports_a_bad_manifest(tmp_path):
    # A privileged, root container with no probes: what the skips must not hide.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: shop}\nspec:\n  containers:\n"
        "    - name: app\n      image: nginx:latest\n      securityContext: {privileged: true, runAsUser: 0}\n"
    )
    found = checkov.failed_checks(checkov.scan([bad]), {})
    assert any("CKV_K8S_16" in line for line in found), found  # privileged
    assert any("CKV_K8S_8" in line for line in found), found  # no liveness probe


def test_checkov_scans_every_overlay_and_every_standalone_kustomization(monkeypatch):
    scanned = {}

    def scan(targets, config=checkov.CONFIG):
        scanned.update({t.name: t.read_text() for t in targets if t.suffix == ".yaml"})
        return []

    monkeypatch.setattr(checkov, "scan", scan)
    assert checkov.failures() == []
    assert sorted(scanned) == [
        "dev-namespace-rbac-example.yaml",
        "dev-namespace.yaml",
        "overlays--dev.yaml",
        "overlays--prod.yaml",
        "overlays--staging.yaml",
    ]
    assert "kind: Role\n" in scanned["dev-namespace-rbac-example.yaml"]


def test_a_failing_check_is_named_with_its_output(monkeypatch, capsys):
    from invoke import Context, Exit

    from tasks import checks
    from tasks.checks import linters

    monkeypatch.setattr(linters, "CHECKS", {"fine": lambda: (True, ""), "broken": lambda: (False, "x.py:1: bad")})
    with pytest.raises(Exit) as raised:
        checks.lint(Context())
    assert raised.value.message == "lint: 1 of 2 checks failed: broken"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok   fine (") and out[1].startswith("FAIL broken (") and out[2] == "  x.py:1: bad"
