"""`invoke cluster.down` leaves nothing behind. Runs last in the run (tests/support/lanes.py's run_order), once
no other test process uses the cluster, and only takes down a cluster this run started: a developer's own
running cluster is never touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tasks.cluster import client, layout, lifecycle, state
from testcluster import processes
from testcluster.layout import API_PORT, BRIDGE, NODE_IP, RT_TABLE, SVC_CIDR
from tests.support.cluster_commands import cluster_task
from tests.support.needs import need

# Waiting for the other worker's cluster tests to end counts in each test's time: up to 25 minutes.
pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1800)]


def _out(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def _processes_naming(*needles: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(needle in text for needle in needles):
            found.append(f"{cmdline.parent.name}: {text[:120]}")
    return found


def _ours_to_end(cluster_session) -> client.Cluster:
    cluster_session.sole_user()  # the other worker's cluster tests end first (tests/support/lanes.py)
    if client.running() is not None and not cluster_session.started_here:
        need(
            "a cluster this session may take down",
            False,
            "a test cluster this session did not start is running: run `invoke cluster.down` first",
        )
    return cluster_session.ensure()


def _kill_everything(where: layout.Layout) -> None:
    """What a container or machine restart does: every daemon, shim and pod process gone at once, no cleanup."""
    pods = [
        int(pid)
        for procs in Path("/sys/fs/cgroup").glob("**/kubepods/**/cgroup.procs")
        for pid in procs.read_text().split()
    ]
    shims = processes.pids_matching(lambda argv: "containerd-shim" in argv[0] and str(where.run_dir) in " ".join(argv))
    processes.kill_all([record.pid for record in processes.records(where.pids)] + shims + pods)
    for record in processes.records(where.pids):
        assert processes.wait_gone(record, 10), record.name


def test_up_starts_again_a_cluster_whose_processes_all_died(cluster_session):
    """A killed cluster leaves its run dir, bridge and routes: `up` (and the tests' preflight) must take them
    as its own leftovers. CI once met a shipyard0 left so, and every cluster test failed on the clash."""
    if _ours_to_end(cluster_session).kind != state.BINARIES:
        pytest.skip("kind keeps its cluster in a container: nothing of it is left on the host")
    where = layout.current()
    _kill_everything(where)
    assert lifecycle.condition(where)[0] == lifecycle.STOPPED
    assert Path("/sys/class/net", BRIDGE).exists()
    assert lifecycle.preflight() == state.BINARIES

    result = cluster_task("up", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "removing the leftovers of a stopped test cluster" in result.stdout
    assert client.running() is not None
    cluster_session.started_here = True


def test_down_leaves_nothing_behind(cluster_session):
    cluster = _ours_to_end(cluster_session)
    where = layout.current()
    recorded = state.load(where)
    assert recorded is not None

    result = cluster_task("down", timeout=300)
    cluster_session.started_here = False
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("cluster down ("), result.stdout

    assert not where.run_dir.exists()
    assert _processes_naming(str(where.run_dir), str(where.bin_dir)) == []
    assert [line for line in Path("/proc/self/mounts").read_text().splitlines() if str(where.run_dir) in line] == []
    if cluster.kind == state.BINARIES:
        assert not Path("/sys/class/net", BRIDGE).exists()
        assert _out("ip", "route", "show", "exact", SVC_CIDR).strip() == ""
        assert f"{RT_TABLE}:" not in _out("ip", "rule", "show")
        assert _out("ip", "route", "show", "table", str(RT_TABLE)).strip() == ""
        for save in ("iptables-save", "ip6tables-save"):
            rules = _out(save)
            assert [line for line in rules.splitlines() if line.startswith((":KUBE-", ":CNI-"))] == [], save
            assert "-j KUBE-" not in rules and "-j CNI-" not in rules, save
        assert [name for name in _out("ipset", "list", "-n").split() if name.startswith("KUBE-")] == []
        for path in recorded.created_paths:
            assert not Path(path).exists(), f"{path} was created by up and is still there"
        discovery = Path.home() / ".kube" / "cache" / "discovery" / f"{NODE_IP}_{API_PORT}"
        assert not discovery.exists(), "kubectl's cache of the cluster belongs in the run dir"
        netns = Path("/run/netns")
        late = [p for p in netns.glob("cni-*") if p.lstat().st_mtime >= recorded.started_at] if netns.is_dir() else []
        assert late == []
    else:  # kind: its node container is gone, and the registry container if this session started it
        assert f"{layout.NAME}-control-plane" not in _out("docker", "ps", "--all", "--format", "{{.Names}}").split()
        if recorded.registry_container:
            assert recorded.registry_container not in _out("docker", "ps", "--all", "--quiet", "--no-trunc").split()

    status = cluster_task("status", timeout=60)
    assert status.returncode == 1
    assert "no test cluster runs" in status.stdout
    again = cluster_task("down", timeout=60)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
