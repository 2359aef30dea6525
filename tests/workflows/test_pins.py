"""What actionlint does not check: every action and tool the workflows fetch is pinned, and the
local files and commands they run exist."""

from __future__ import annotations

import re

import yaml

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


def test_ci_runs_the_same_test_command_as_everyone():
    assert "./bin/test" in scripts("ci.yml")
    assert (ROOT / "bin" / "test").exists()


def test_kind_pins_kind_its_node_image_and_skaffold():
    env = yaml.safe_load((WORKFLOWS / "kind.yml").read_text())["env"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["KIND_VERSION"])
    assert re.fullmatch(r"kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", env["KIND_NODE_IMAGE"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["SKAFFOLD_VERSION"])
    assert "sha256sum --check" in scripts("kind.yml")


def test_kind_runs_the_dev_overlay_then_verify_then_the_smoke_test():
    run = scripts("kind.yml")
    order = [run.index(command) for command in ("skaffold run", "skaffold verify", ".github/scripts/smoke.py")]
    assert order == sorted(order)
    # No --profile: skaffold.yaml's default is the dev overlay (its `minikube` profile activates on minikube only).
    assert "--profile" not in run and " -p " not in run
    skaffold = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    assert skaffold["manifests"]["kustomize"]["paths"] == ["k8s/overlays/dev"]
    assert (ROOT / ".github" / "scripts" / "smoke.py").exists()
