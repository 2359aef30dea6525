"""Starting and stopping dockerd (tasks/services/dockerd.py), where the engine is slow to go.

A fresh CI machine's quick start stopped dockerd and started it again a second later: the old one no longer
answered but still ran, so the new one refused to start ("pid file found") and `up` waited out its 60 s.
These drive the module's waits with stand-ins for dockerd (a script on PATH, a sleeping child): the real
engine's stop and start are the quick start's (tests/quickstart), which runs them back to back.
"""

from __future__ import annotations

import subprocess

import pytest
from invoke.exceptions import Exit

from tasks.services import dockerd

REFUSAL = "failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid"


@pytest.fixture
def engine(tmp_path, monkeypatch):
    """No engine answers; `dockerd` on PATH prints dockerd's refusal and exits 1; the pid file is ours."""
    fake = tmp_path / "bin" / "dockerd"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho 'level=info msg=\"Starting up\"'\necho '{REFUSAL}'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setattr(dockerd, "docker_running", lambda: False)
    monkeypatch.setattr(dockerd, "PID_FILE", tmp_path / "docker.pid")
    monkeypatch.setattr(dockerd, "SECONDS", 600)  # a start that missed the exit would wait this out, then say so
    return tmp_path


@pytest.fixture
def sleeper():
    child = subprocess.Popen(["sleep", "60"])
    yield child
    child.kill()
    child.wait()


def test_a_dockerd_that_exits_before_answering_is_named_with_its_last_line_at_once(engine):
    with pytest.raises(Exit) as raised:
        dockerd.start(engine / "dockerd.log")
    assert raised.value.message == f"dockerd exited with 1: {REFUSAL} (its log: {engine / 'dockerd.log'})"


def test_a_start_waits_for_the_previous_dockerd_to_exit(engine, monkeypatch, sleeper):
    dockerd.PID_FILE.write_text(f"{sleeper.pid}\n")
    monkeypatch.setattr(dockerd, "SECONDS", 0.3)
    with pytest.raises(Exit) as raised:
        dockerd.start(engine / "dockerd.log")
    assert raised.value.message == (
        f"dockerd: {dockerd.PID_FILE} names pid {sleeper.pid}, which runs but the engine does not answer: "
        f"stop it (kill {sleeper.pid}) and run this again"
    )
    assert not (engine / "dockerd.log").exists()  # nothing was started beside it

    sleeper.terminate()  # gone within the wait: the start goes on (to the stand-in's refusal)
    monkeypatch.setattr(dockerd, "SECONDS", 600)
    with pytest.raises(Exit) as raised:
        dockerd.start(engine / "dockerd.log")
    assert raised.value.message.startswith("dockerd exited with 1: ")


def test_a_stop_returns_once_the_process_has_exited(engine, sleeper):
    dockerd.PID_FILE.write_text(f"{sleeper.pid}\n")
    assert dockerd.running(sleeper.pid)
    assert dockerd.stop() == sleeper.pid
    assert not dockerd.running(sleeper.pid)  # exited (a zombie until this process reaps it)
    assert sleeper.wait() == -15
    assert dockerd.stop() is None  # nothing left to stop


def test_no_pid_file_or_a_malformed_one_is_no_dockerd(engine):
    assert dockerd.recorded_pid() is None and dockerd.stop() is None
    dockerd.PID_FILE.write_text("not a pid\n")
    assert dockerd.recorded_pid() is None
