"""`invoke doctor` and `invoke up` with the real tools this machine has, and fake ones it lacks."""

import os
import stat
import subprocess
import sys

import pytest

from tasks.devloop.diagnosis import SKAFFOLD_SCHEMA
from tasks.paths import ROOT

INVOKE = [sys.executable, "-m", "invoke"]


def fake_tool(directory, name: str, output: str, code: int = 0) -> None:
    script = directory / name
    script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def run_invoke(*args: str, path: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path}
    return subprocess.run([*INVOKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def lines_for(result, tool: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.split(":")[0].endswith(f" {tool}")]


def test_without_minikube_and_skaffold_doctor_names_each_with_its_fix(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_invoke("doctor", path=f"{empty}:/usr/bin:/bin")
    assert result.returncode == 1
    (minikube,) = lines_for(result, "minikube")
    assert minikube.startswith("FAIL minikube: not found; install minikube")
    (skaffold,) = lines_for(result, "skaffold")
    assert "install skaffold" in skaffold
    assert "doctor: the dev loop cannot run until" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_up_fails_cleanly_with_the_doctors_lines(tmp_path):
    result = run_invoke("up", path=f"{tmp_path}:/usr/bin:/bin")
    assert result.returncode == 1
    assert lines_for(result, "minikube")[0].startswith("FAIL")
    assert "Traceback" not in result.stdout + result.stderr


def test_tilt_mode_checks_tilt_instead_of_skaffold(tmp_path):
    result = run_invoke("doctor", "--tilt", path=f"{tmp_path}:/usr/bin:/bin")
    assert lines_for(result, "tilt")[0].startswith("FAIL tilt: not found; install tilt")
    assert lines_for(result, "skaffold") == []


def test_versions_are_checked_not_just_presence(tmp_path):
    fake_tool(tmp_path, "minikube", "v1.20.0")
    fake_tool(tmp_path, "skaffold", "skaffold/v4beta11\nskaffold/v4beta12")
    fake_tool(tmp_path, "tilt", "v0.20.1, built 2021-01-01")
    result = run_invoke("doctor", path=f"{tmp_path}:/usr/bin:/bin")
    assert lines_for(result, "minikube") == [
        "FAIL minikube: 1.20.0 is too old; install minikube >= 1.32: https://minikube.sigs.k8s.io/docs/start/"
    ]
    assert f"does not read {SKAFFOLD_SCHEMA}" in lines_for(result, "skaffold")[0]
    tilt = run_invoke("doctor", "--tilt", path=f"{tmp_path}:/usr/bin:/bin")
    assert "0.20.1 is too old" in lines_for(tilt, "tilt")[0]


@pytest.mark.docker
def test_with_every_tool_present_doctor_passes(tmp_path):
    fake_tool(tmp_path, "minikube", "v1.34.0")
    fake_tool(tmp_path, "skaffold", f"skaffold/v4beta13\n{SKAFFOLD_SCHEMA}")
    path = f"{tmp_path}:{os.environ['PATH']}"
    result = run_invoke("doctor", path=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_for(result, "docker")[0].startswith("ok   docker: engine")
    assert lines_for(result, "minikube") == ["ok   minikube: 1.34.0"]
    assert result.stdout.strip().endswith("doctor: ready for the dev loop")
