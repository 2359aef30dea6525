"""`invoke metrics` refusing in one line what it cannot do (what it shows of a real dev loop:
tests/cluster/test_skaffold_run.py)."""

import os
import socket
import subprocess
import sys

import pytest

from tasks.devloop import prometheus
from tasks.services.reach import free_port
from tests.devloop.test_doctor import isolated, run_invoke


def test_without_a_cluster_it_says_to_start_the_dev_loop():
    result = run_invoke("metrics", "--show", path=os.environ["PATH"])
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "metrics: no current kubectl context; start the dev loop first (invoke up)"
    ], result.stderr


def test_a_taken_ui_port_is_named_before_anything_starts():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_invoke("metrics", "--port", str(port), path=os.environ["PATH"], env=isolated())
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"metrics: port {port} is taken") and line.endswith("free it or pass --port"), line


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_a_port_out_of_range_is_one_line(port):
    result = run_invoke("metrics", "--port", port, path=os.environ["PATH"], env=isolated())
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"metrics: --port {port} is not a port: give one from 1 to 65535"]


def test_without_prometheus_it_says_how_to_install_it():
    # Only what invoke itself needs on PATH: the virtualenv's bin, no prometheus.
    result = run_invoke("metrics", "--port", str(free_port()), path=os.path.dirname(sys.executable))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "metrics: no prometheus on PATH: install Debian's prometheus package (./bin/setup --services does)"
    ], result.stderr


@pytest.mark.parametrize("seconds", [1, 5, 2.5])
def test_the_prometheus_config_it_writes_is_one_prometheus_accepts(tmp_path, seconds):
    config = tmp_path / "prometheus.yml"
    config.write_text(prometheus.config({"web": "127.0.0.1:9100", "beat": "127.0.0.1:9102"}, seconds))
    checked = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
