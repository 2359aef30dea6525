"""The README's quick start exactly as written: `./bin/up` (and `./bin/up --tilt`) from a fresh clone, alone.

The skaffold run starts from what a newcomer has: the test cluster down, the Docker engine stopped and no
image under the base tag, so ./bin/up starts the engine, builds the base, starts the cluster, pushes the
datastores' images, builds the app and serves it. Then one edit is served, Ctrl+C ends the loop and
`invoke down` removes what it deployed. Tilt's run starts on the machine that leaves (engine and cluster up,
nothing deployed: the phases before the tool are the same code, walked cold once), then again warm, as a
second `./bin/up` on the same machine does. Times are the bench's (`invoke bench`), not asserted here.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tasks.bench import first_run
from tasks.bench.reload import view_edit
from tasks.cluster import client
from tasks.devloop.phases import ORDER
from tasks.devloop.scratch import scratch_copy
from tests.cluster.loop import get_json
from tests.support.processes import wait_until

# A cold first run builds the base, the datastores' and the app's images: about 5 minutes here, over the
# suite's 600 s per test on a slower machine.
pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]

EDIT_SERVED_WITHIN = 60


def say(line: str) -> None:
    print(f"quickstart: {line}", flush=True)


@pytest.fixture(scope="module")
def clone(tmp_path_factory, cluster_session) -> Path:
    """A fresh clone of this checkout: the tracked files, no .venv; ../shared beside it as in CI."""
    # ./bin/up starts the cluster itself: starting one here only for the cold machine to take it down cost a minute.
    cluster_session.claim()  # the session takes down at its end the cluster ./bin/up leaves, unless one ran before
    return scratch_copy(tmp_path_factory.mktemp("quickstart"), venv=False)


def run_until_served(clone: Path, tilt: bool, log_name: str) -> tuple[first_run.Running, first_run.Served]:
    run = first_run.start(clone, tilt, clone.parent / log_name)
    try:
        served = first_run.served(run)
    except first_run.NotServed as error:
        run.stop()
        pytest.fail(str(error))
    say(f"{log_name}: served after {served.seconds:.1f}s ({served.phases})")
    return run, served


def an_edit_is_served(clone: Path, run: first_run.Running, url: str) -> None:
    """An edit served at URL, where up said it serves (skaffold's own choice when 8000 is taken)."""
    if "skaffold dev" in run.output():
        # skaffold takes its first look at the files once the forwards run, a moment after web answers:
        # an edit saved before that is part of what it starts from, and never synced.
        wait_until("skaffold to watch the files", lambda: "Watching for changes" in run.output(), 60, 0.2)
    token = uuid.uuid4().hex[:8]
    for name, content in view_edit(token).items():
        (clone / name).write_bytes(content)

    def served() -> bool:
        return (get_json(f"{url.rstrip('/')}/api/jobs") or {}).get("edit") == token

    wait_until("the edited view through the loop's forward", served, EDIT_SERVED_WITHIN, 0.2)


def invoke_down(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([".venv/bin/invoke", "down", *args], cwd=clone, capture_output=True, text=True, timeout=300)


def loop_pods() -> str:
    cluster = client.running()
    assert cluster is not None, "./bin/up left no cluster running"
    listed = client.kubectl(cluster, "get", "pods,jobs", "-l", "app.kubernetes.io/part-of=shipyard", "-o", "name")
    return listed.stdout.strip()


def nothing_left() -> None:
    """The loop's pods end (they were deleted; each stops within its grace period) and none come back."""
    wait_until("the loop's pods to end", lambda: loop_pods() == "", 180, 1)


def test_bin_up_alone_serves_a_fresh_clone_on_a_cold_machine(clone):
    with first_run.cold_machine(say):
        run, served = run_until_served(clone, tilt=False, log_name="up-skaffold.log")
        try:
            output = run.output()
            assert "starting dockerd" in output, output[-3000:]
            assert "starting the project's test cluster" in output, output[-3000:]
            if "no public registry" in output:  # here: the base it found missing was built first
                assert "[5/5] smoke test" in output, output[-3000:]
            assert list(served.phases) == list(ORDER)
            assert served.phases["build"] is not None and served.phases["deploy"] is not None, served.phases
            an_edit_is_served(clone, run, served.url)
        finally:
            code = first_run.interrupt(run)
    assert code == 0, run.output()[-3000:]
    down = invoke_down(clone)
    assert down.returncode == 0, down.stdout + down.stderr
    nothing_left()


def test_bin_up_tilt_serves_and_again_warm(clone):
    run, served = run_until_served(clone, tilt=True, log_name="up-tilt.log")
    try:
        assert served.phases["build"] is not None and served.phases["deploy"] is not None, served.phases
        an_edit_is_served(clone, run, served.url)
    finally:
        code = first_run.interrupt(run)
    assert code == 0, run.output()[-3000:]
    # A second ./bin/up --tilt on the same machine: everything is there, Tilt's pods still run.
    run, warm = run_until_served(clone, tilt=True, log_name="up-tilt-warm.log")
    try:
        output = run.output()
        assert "starting dockerd" not in output and "starting the project's test cluster" not in output, output
        assert warm.phases["engine"] is not None and warm.phases["cluster"] is not None
    finally:
        code = first_run.interrupt(run)
    assert code == 0, run.output()[-3000:]
    down = invoke_down(clone, "--tilt")
    assert down.returncode == 0, down.stdout + down.stderr
    nothing_left()
