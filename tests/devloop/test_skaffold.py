"""skaffold.yaml against Skaffold's own schema, and every path it names."""

import json

import jsonschema
import pytest
import yaml

from tasks import ports
from tasks.image.debian_base import BASE_TAG
from tasks.paths import ROOT
from tests.support.skaffold_config import debug_hook

SCHEMA = ROOT.parent / "shared" / "schemas" / "skaffold-v4beta14.json"


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "skaffold.yaml").read_text())


def test_validates_against_the_official_v4beta14_schema(config):
    assert SCHEMA.exists(), f"{SCHEMA} is missing: shared/ must sit beside the checkout"
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(config)
    assert config["apiVersion"] == "skaffold/v4beta14"


def test_the_schema_check_rejects_a_misspelt_field(config):
    schema = json.loads(SCHEMA.read_text())
    broken = json.loads(json.dumps(config))
    broken["build"]["artifacts"][0]["docker"]["tagret"] = "dev"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_every_named_path_exists(config):
    artifact = config["build"]["artifacts"][0]
    assert (ROOT / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()
    overlays = [*config["manifests"]["kustomize"]["paths"]]
    overlays += [
        p for profile in config["profiles"] for p in profile.get("manifests", {}).get("kustomize", {}).get("paths", [])
    ]
    for overlay in overlays:
        assert (ROOT / overlay / "kustomization.yaml").is_file(), overlay
    for rule in artifact["sync"]["manual"]:
        assert list(ROOT.glob(rule["src"])), f"sync rule {rule['src']} matches no file"
    for test in [t for profile in config["profiles"] for t in profile.get("test", [])]:
        for custom in test["custom"]:
            for pattern in custom["dependencies"]["paths"]:
                assert list(ROOT.glob(pattern)), pattern


def test_dev_builds_the_dev_target_syncs_code_and_deploys_the_dev_overlay(config):
    artifact = config["build"]["artifacts"][0]
    assert (artifact["image"], artifact["docker"]["target"]) == ("shipyard-app", "dev")
    assert config["manifests"]["kustomize"]["paths"] == ["k8s/overlays/dev"]
    assert "kubectl" in config["deploy"] and config["deploy"]["statusCheck"] is True


def test_web_is_forwarded_to_loopback_only(config):
    forwards = {(f["resourceName"], f["localPort"]): f["address"] for f in config["portForward"]}
    assert forwards == {("web", ports.WEB): "127.0.0.1", ("web", ports.DEBUGPY): "127.0.0.1"}


def test_no_verify_step_takes_the_callers_environment_into_the_cluster(config):
    # skaffold's verify copies the whole host environment into the Job it runs; the status check waits for
    # web's readiness instead (tests/cluster checks the objects the loops make for a canary variable).
    assert "verify" not in config and all("verify" not in profile for profile in config["profiles"])


@pytest.mark.parametrize("name", ["staging", "prod"])
def test_staging_and_prod_profiles_swap_only_overlay_and_target(config, name):
    (profile,) = [p for p in config["profiles"] if p["name"] == name]
    assert set(profile) == {"name", "patches", "manifests"}
    assert profile["manifests"]["kustomize"]["paths"] == [f"k8s/overlays/{name}"]
    ops = {(p["op"], p["path"]): p.get("value") for p in profile["patches"]}
    assert ops == {("replace", "/build/artifacts/0/docker/target"): "prod", ("remove", "/build/artifacts/0/sync"): None}


def test_minikube_is_activated_by_its_context(config):
    (profile,) = [p for p in config["profiles"] if p["name"] == "minikube"]
    assert profile["activation"] == [{"kubeContext": "minikube"}]


def test_the_default_loop_runs_no_tests_the_unit_tests_profile_does(config):
    # skaffold handles the next change only once a test step ends: it would hold every sync.
    assert "test" not in config
    (profile,) = [p for p in config["profiles"] if p["name"] == "unit-tests"]
    commands = [c["command"] for t in profile["test"] for c in t["custom"]]
    assert commands == [".venv/bin/invoke test --unit --changed"]


def test_offline_profile_builds_on_the_debootstrap_base(config):
    (profile,) = [p for p in config["profiles"] if p["name"] == "offline"]
    (patch,) = profile["patches"]
    assert patch["value"] == {"BASE_IMAGE": BASE_TAG}


def test_deploy_replaces_the_immutable_migrate_job(config):
    assert config["deploy"]["kubectl"]["flags"]["apply"] == ["--force"]


def test_the_debug_profile_sets_debugpy_on_web_after_every_deploy_and_validates(config):
    patch, command = debug_hook(config)
    assert (patch["op"], patch["path"]) == ("add", "/deploy/kubectl/hooks")
    assert command[:2] == ["sh", "-c"] and "set env deployment/web -c web DEBUGPY=1" in command[2]
    patched = json.loads(json.dumps(config))
    patched["deploy"]["kubectl"]["hooks"] = patch["value"]
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(patched)


@pytest.mark.parametrize("tilt", [False, True], ids=["skaffold", "tilt"])
@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_invoke_up_debug_asks_each_tool_for_debugpy(tilt, offline):
    from tasks.devloop.loop import command
    from tasks.devloop.targets import Target

    target = Target("kind", "kind-dev", "loads each image")
    plain, _ = command(target, tilt, offline)
    debug, _ = command(target, tilt, offline, debug=True)
    if tilt:
        assert debug == [*plain, "--debug"] if offline else debug == [*plain, "--", "--debug"]
    else:
        assert debug == [*plain, "--profile", "debug"]
    assert "debug" not in " ".join(plain)
