"""Before anything starts: a missing piece is named in one line with its fix, and unsafe settings are refused.
Fast checks: no cluster, no root needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.cluster import kind, layout, lifecycle
from tasks.cluster.progress import ClusterError
from tasks.paths import ROOT
from testcluster import prerequisites
from testcluster.layout import API_PORT, TEAM_REGISTRY_PORT


def test_a_missing_debian_package_is_named_with_the_fix():
    with pytest.raises(ClusterError) as error:
        prerequisites.check_packages(is_installed=lambda package: package != "ipset")
    message = str(error.value)
    assert "\n" not in message
    assert "ipset" in message and "./bin/setup --loop" in message
    assert "etcd-server" not in message


def test_all_packages_present_passes():
    prerequisites.check_packages(is_installed=lambda package: True)


def test_bin_setup_installs_every_package_the_test_cluster_checks():
    setup = (ROOT / "bin" / "setup").read_text()
    assert [p for p in prerequisites.PACKAGES if p not in setup] == []


@pytest.mark.parametrize("run_dir", ["relative/dir", "/var", str(ROOT / "cluster-run")])
def test_unsafe_run_dirs_are_refused(monkeypatch, run_dir):
    monkeypatch.setenv("SHIPYARD_CLUSTER_DIR", run_dir)
    with pytest.raises(ClusterError, match="SHIPYARD_CLUSTER_DIR"):
        layout.current()


@pytest.mark.parametrize("port", [API_PORT, TEAM_REGISTRY_PORT])
def test_a_registry_port_the_cluster_or_its_tests_use_is_refused(monkeypatch, port):
    monkeypatch.setenv("SHIPYARD_REGISTRY_PORT", str(port))
    with pytest.raises(ClusterError, match="registry port"):
        layout.current()


def test_binaries_are_chosen_where_kind_is_not_at_hand(monkeypatch, tmp_path):
    kit = tmp_path / "kube"
    (kit / "bin").mkdir(parents=True)
    (kit / "bin" / "kube-apiserver.xz").touch()
    where = layout.Layout(run_dir=Path("/var/tmp/x-run"), cache_dir=Path("/var/tmp/x-cache"), kit_dir=kit)
    monkeypatch.setattr(kind, "installed", lambda: False)
    assert lifecycle.choose(where, "auto") == "binaries"
    with pytest.raises(ClusterError, match="kind"):
        lifecycle.choose(where, "kind")
    monkeypatch.setattr(kind, "installed", lambda: True)
    monkeypatch.setattr(kind, "node_image", lambda: "kindest/node:v1.31.0")
    assert lifecycle.choose(where, "auto") == "kind"
    assert lifecycle.choose(where, "binaries") == "binaries"


def test_without_the_kube_kit_or_kind_the_message_says_what_to_install(monkeypatch, tmp_path):
    where = layout.Layout(run_dir=Path("/var/tmp/x-run"), cache_dir=Path("/var/tmp/x-cache"), kit_dir=tmp_path)
    monkeypatch.setattr(kind, "installed", lambda: False)
    with pytest.raises(ClusterError, match="install kind and Docker, or put the kube kit"):
        lifecycle.choose(where, "auto")
