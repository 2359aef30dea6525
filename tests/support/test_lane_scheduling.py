"""The scheduler pytest-xdist runs the whole suite with: lanes as single scopes, and the gate of the lanes that
wait for the quick start.

Driven as xdist's controller drives it (schedule, then each finished test), with stand-ins for the two
workers that record what they were sent."""

from __future__ import annotations

from types import SimpleNamespace

from tests.support.lane_scheduling import LaneScheduling
from tests.support.lanes import AFTER_FIRST, FIRST_PATHS, lane_of, misplaced, run_order, scope_of

QUICKSTART = ["tests/quickstart/test_first_run.py::test_skaffold", "tests/quickstart/test_first_run.py::test_tilt"]
CLUSTER = ["tests/cluster/test_skaffold_dev.py::test_edit"]
NAMESPACED = [
    "tests/cluster/faults/test_web_faults.py::test_delete",
    "tests/cluster/monitoring/test_pod_discovery.py::test_up",
]
FILES = ["tests/cluster/test_policies.py::test_denied", "tests/cluster/test_storage.py::test_claim"]
IMAGE = ["tests/image/test_prod_image.py::test_uid", "tests/image/test_dev_image.py::test_uid"]
LOOPBACK = ["tests/app/test_api.py::test_a", "tests/app/test_api.py::test_b", "tests/db/test_seed.py::test_c"]


class Worker:
    def __init__(self, name: str) -> None:
        self.gateway, self.shutting_down, self.sent = SimpleNamespace(id=name), False, []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def scheduled(collection: list[str], count: int = 2) -> tuple[LaneScheduling, list[Worker]]:
    config = SimpleNamespace(getvalue=lambda name: [f"{count}*popen"], option=SimpleNamespace(loadscopereorder=True))
    scheduler = LaneScheduling(config)
    workers = [Worker(f"gw{n}") for n in range(count)]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    return scheduler, workers


def sent(worker: Worker, collection: list[str]) -> list[str]:
    return [collection[index] for index in worker.sent]


def finish(scheduler: LaneScheduling, worker: Worker, collection: list[str], nodeids: list[str]) -> None:
    for nodeid in nodeids:
        scheduler.mark_test_complete(worker, collection.index(nodeid))


def test_the_engine_lane_waits_for_the_quick_start_then_goes_to_the_idle_worker():
    collection = QUICKSTART + CLUSTER + IMAGE + LOOPBACK
    scheduler, (machine, other) = scheduled(collection)
    assert sent(machine, collection) == QUICKSTART + CLUSTER  # one lane, in order, to one worker
    assert sent(other, collection) == LOOPBACK[:2]

    finish(scheduler, other, collection, LOOPBACK[:2])
    assert sent(other, collection) == LOOPBACK  # the last one it was free for: the engine lane is gated
    finish(scheduler, other, collection, LOOPBACK[2:])
    finish(scheduler, machine, collection, QUICKSTART[:1])
    assert sent(other, collection) == LOOPBACK and not other.shutting_down  # waits, not shut down

    finish(scheduler, machine, collection, QUICKSTART[1:])  # the gate opens: the idle worker gets the lane
    assert sent(other, collection) == LOOPBACK + IMAGE
    assert sent(machine, collection) == QUICKSTART + CLUSTER

    finish(scheduler, other, collection, IMAGE)
    finish(scheduler, machine, collection, CLUSTER)
    assert scheduler.tests_finished and machine.shutting_down and other.shutting_down


def test_the_cluster_lane_waits_for_the_quick_start_then_runs_beside_the_machine_lane():
    collection = QUICKSTART + CLUSTER + NAMESPACED + LOOPBACK[:1]
    scheduler, (machine, other) = scheduled(collection)
    assert sent(machine, collection) == QUICKSTART + CLUSTER
    finish(scheduler, other, collection, LOOPBACK[:1])
    assert sent(other, collection) == LOOPBACK[:1]  # the cluster is the quick start's to take down until it ends
    finish(scheduler, machine, collection, QUICKSTART)
    assert sent(other, collection) == LOOPBACK[:1] + NAMESPACED  # one lane: both tests, in order, to one worker


def test_the_teardown_goes_last_and_the_teams_loops_first_after_the_quick_start():
    ids = [
        "tests/cluster/test_teardown.py::test_down",
        "tests/cluster/test_addons.py::test_dns",
        "tests/cluster/test_shared_cluster.py::test_two",
        "tests/quickstart/test_first_run.py::test_skaffold",
    ]
    assert sorted(ids, key=run_order) == ids[::-1]


def test_the_cluster_files_wait_for_the_quick_start_then_any_free_worker_runs_each():
    collection = QUICKSTART + CLUSTER + FILES
    scheduler, workers = scheduled(collection, 3)
    machine, first, second = workers
    assert sent(machine, collection) == QUICKSTART + CLUSTER
    assert sent(first, collection) == sent(second, collection) == []  # gated: the quick start may take the cluster
    finish(scheduler, machine, collection, QUICKSTART)
    assert sorted(sent(first, collection) + sent(second, collection)) == FILES
    assert FILES not in (sent(first, collection), sent(second, collection))  # a scope per file, side by side


def test_without_the_quick_start_the_engine_lane_starts_at_once():
    collection = CLUSTER + IMAGE + LOOPBACK[:1]
    _, workers = scheduled(collection)
    assert IMAGE in [sent(worker, collection)[: len(IMAGE)] for worker in workers]


def test_a_lane_holds_every_test_of_its_paths_and_nothing_else():
    assert {lane_of(nodeid) for nodeid in QUICKSTART + CLUSTER} == {"machine lane"}
    assert {lane_of(nodeid) for nodeid in IMAGE} == {"engine lane"}
    assert {lane_of(nodeid) for nodeid in LOOPBACK} == {None}
    assert {lane_of(nodeid) for nodeid in NAMESPACED} == {"cluster lane"}  # the longer path wins over tests/cluster/
    assert {lane_of(nodeid) for nodeid in FILES} == {"cluster files"}
    assert scope_of(FILES[0]) == "cluster files: tests/cluster/test_policies.py"
    assert scope_of(NAMESPACED[0]) == "cluster lane"
    assert lane_of("tests/cluster/test_teardown.py::test_down") == "machine lane"
    assert lane_of("tests/checks/test_args.py::test_bin_test") == "engine lane"
    assert lane_of("tests/checks/test_argsort.py::test_x") is None


def test_the_quick_start_is_in_no_gated_lane():
    # Else the gate would wait on tests that it holds back itself.
    assert lane_of(FIRST_PATHS[0]) not in AFTER_FIRST


def test_a_marker_that_needs_a_lane_is_refused_off_its_path():
    assert misplaced("tests/image/test_prod_image.py::test_uid", {"docker", "slow"}) is None
    assert misplaced("tests/cluster/test_policies.py::test_denied", {"cluster", "docker"}) is None
    assert misplaced("tests/cluster/faults/test_web_faults.py::test_delete", {"cluster", "docker"}) is None
    assert misplaced("tests/app/test_api.py::test_a", {"postgres"}) is None
    why = misplaced("tests/image/test_prod_image.py::test_uid", {"cluster"})
    assert why is not None and why.startswith("tests/image/test_prod_image.py::test_uid: marked cluster, so it belongs")
    assert "machine lane (tests/quickstart/," in why
    assert "engine lane" in misplaced("tests/app/test_api.py::test_a", {"docker"})
