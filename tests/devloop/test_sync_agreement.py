"""skaffold's sync rules, Tilt's live_update and the Dockerfile put app/ in the same place.

If they disagreed, an edit would land where the image does not look, and the pod would run
stale code while the tool reports a successful sync.
"""

import re

import pytest
import yaml

from tasks.paths import ROOT
from tests.devloop.tilt_standins import run_tiltfile

pytestmark = pytest.mark.k8s


def normalise(local: str, remote: str) -> tuple[str, str]:
    return local.rstrip("/") + "/", remote.rstrip("/") + "/"


def skaffold_mapping() -> set[tuple[str, str]]:
    config = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    rules = config["build"]["artifacts"][0]["sync"]["manual"]
    # src "app/**/*" with strip "app/" and dest /app: app/x/y.py lands at /app/x/y.py.
    return {normalise(rule["strip"], rule["dest"]) for rule in rules}


def tilt_mapping() -> set[tuple[str, str]]:
    (build,) = run_tiltfile().named("docker_build")
    return {
        normalise(s["local_path"], s["remote_path"])
        for s in build["live_update"]
        if s["tilt"] == "sync" and s["local_path"].startswith("app")
    }


def dockerfile_mapping() -> dict[str, tuple[str, str]]:
    """Per stage, where `COPY app/` puts the code, directly or through a stage it copies that code from."""
    stage, found = None, {}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if m := re.match(r"FROM \S+ AS (\S+)", line):
            stage = m.group(1)
        elif m := re.match(r"COPY (?:--\S+ )*(app/?) (\S+)$", line):
            found[stage] = normalise(m.group(1), m.group(2))
        elif (m := re.match(r"COPY --from=(\S+) (\S+) (\S+)$", line)) and m.group(1) in found:
            local, there = found[m.group(1)]  # prod copies app/ from prod-app, which leaves devtools/ out
            if normalise(m.group(2), m.group(3))[0] == there:
                found[stage] = normalise(local, m.group(3))
    return found


def test_all_three_map_app_to_slash_app():
    docker = dockerfile_mapping()
    assert docker["dev"] == docker["prod"] == ("app/", "/app/")
    assert skaffold_mapping() == {("app/", "/app/")}
    assert tilt_mapping() == {("app/", "/app/")}


def test_the_runtime_contract_names_the_same_path():
    contract = (ROOT / "docs" / "runtime-contract.md").read_text()
    assert "the repository's `app/` is `/app` in the container" in contract
