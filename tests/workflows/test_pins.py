"""What actionlint does not check: every action and tool the workflows fetch is pinned, and the
local files and commands they run exist."""

from __future__ import annotations

import re

import yaml

from tasks.cluster import kind
from tasks.paths import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FULL_SHA_WITH_VERSION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def steps(workflow: str) -> list[dict]:
    document = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return [step for job in document["jobs"].values() for step in job["steps"]]


def scripts(workflow: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def test_every_action_is_pinned_to_a_commit_with_its_version_alongside():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            if line.strip().startswith(("- uses:", "uses:")):
                action = line.split("uses:", 1)[1].strip()
                assert FULL_SHA_WITH_VERSION.match(action), f"{path.name}: {action}"


def ci_workflow() -> dict:
    return yaml.safe_load((WORKFLOWS / "ci.yml").read_text())


def test_kind_pins_kind_its_node_image_skaffold_and_tilt():
    env = ci_workflow()["env"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["KIND_VERSION"])
    assert re.fullmatch(r"kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", env["KIND_NODE_IMAGE"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["SKAFFOLD_VERSION"])
    assert re.fullmatch(r"0\.37\.\d+", env["TILT_VERSION"])  # the kube kit's tilt is 0.37


def test_kind_checks_each_download_against_its_release_checksum():
    installs = {
        step["name"].split()[1]: step["run"] for step in steps("ci.yml") if step.get("name", "").startswith("Install ")
    }
    assert sorted(installs) == ["kind", "skaffold", "tilt"]
    for tool, script in installs.items():
        assert f"${{{tool.upper()}_VERSION}}" in script, tool
        assert "sha256sum --check --strict" in script, tool
        assert script.index("sha256sum --check") < script.index("sudo install"), tool
    assert "tilt.${TILT_VERSION}.linux.x86_64.tar.gz" in installs["tilt"]


def test_ci_runs_the_readmes_test_command_whole_with_the_cluster_on_the_pinned_kind_image(monkeypatch):
    run = scripts("ci.yml")
    (test,) = [line for line in run.splitlines() if line.strip().endswith("./bin/test")]
    assert (ROOT / "bin" / "test").exists() and "./bin/test " in (ROOT / "README.md").read_text()
    assert "CI=true" in test and '"SHIPYARD_KIND_IMAGE=$KIND_NODE_IMAGE"' in test  # nothing skips, cluster included
    assert run.index('docker pull "$KIND_NODE_IMAGE"') < run.index(test)
    # `invoke cluster.up` starts kind on the image the workflow pulled.
    image = ci_workflow()["env"]["KIND_NODE_IMAGE"]
    monkeypatch.setenv("SHIPYARD_KIND_IMAGE", image)
    assert kind.node_image() == image
    assert ci_workflow()["jobs"]["test"]["timeout-minutes"] <= 90


def test_kind_bootstraps_the_offline_base_from_a_debian_source_apt_never_installs_from():
    run = scripts("ci.yml")
    assert "Suites: bookworm bookworm-updates" in run and "Suites: bookworm-security" in run
    assert "Pin: release o=Debian" in run and "Pin-Priority: -1" in run
    # Added after bin/setup's apt-get update, which could not verify it before debian-archive-keyring is in.
    assert run.index("bin/setup --services") < run.index("debian-bookworm.sources") < run.index("CI=true")
    assert "debian-archive-keyring" in (ROOT / "bin" / "setup").read_text()
