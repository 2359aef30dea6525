"""Where a test run's time goes: `pytest --timings FILE` writes it as JSON, `invoke bench --suite` as a table.

Per test file: its tests' setup, call and teardown seconds, and how much of that was spent in
`time.sleep` (every poll in this suite sleeps between tries, so that is the sleeping and polling).
Per fixture wider than one test (the cluster, the image builds, the services): its setup seconds,
charged to the test that first needed it and kept apart from that test's own time. Per lane
(tests/support/lanes.py) and per pytest-xdist worker: the seconds of their tests, fixtures included, and when
each worker's last test ended, which shows how evenly the workers shared the run. With pytest-xdist the
workers' figures ride on each report's user_properties, so the controller writes one file.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.support.lanes import lane_of

_real_sleep = time.sleep
_slept = [0.0]  # seconds in time.sleep since the current test phase began


def _counting_sleep(seconds: float) -> None:
    started = time.monotonic()
    try:
        _real_sleep(seconds)
    finally:
        _slept[0] += time.monotonic() - started


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--timings", metavar="FILE", help="write where the run's time went, per file and fixture")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("timings"):  # pytest-xdist's workers get the same options as the controller
        return
    time.sleep = _counting_sleep  # only time.sleep itself: code holding its own reference is not counted
    config.pluginmanager.register(_Recorder(), "shipyard-timings")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Writer(Path(config.getoption("timings"))), "shipyard-timings-writer")


class _Recorder:
    """In each process that runs tests: the sleep and the wide fixtures' setup, onto each phase's report."""

    def __init__(self) -> None:
        self.fixtures: dict[str, list[float]] = {}  # name -> [seconds, of which slept]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        started, slept_before = time.monotonic(), _slept[0]
        yield  # its own dependencies were set up before this hook, so nothing is counted twice
        if fixturedef.scope != "function":
            slept = _slept[0] - slept_before
            _slept[0] = slept_before  # the fixture's sleep is its own, not the test's
            figures = self.fixtures.setdefault(fixturedef.argname, [0.0, 0.0])
            figures[0] += time.monotonic() - started
            figures[1] += slept

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        part = part_of(item.nodeid, {mark.name for mark in item.iter_markers()})
        report.user_properties.append(("timings", {"slept": _slept[0], "fixtures": self.fixtures, "part": part}))
        _slept[0], self.fixtures = 0.0, {}


# The parts of the suite, narrowest need first; a test belongs to the widest part whose marker it carries.
PARTS = ("fast", "slow", "manifests", "loopback", "containers", "cluster", "bench")
PART_MARKERS = {
    "slow": {"slow"},
    "manifests": {"k8s"},
    "loopback": {"postgres", "redis"},
    "containers": {"docker"},
    "cluster": {"cluster"},
}


def part_of(nodeid: str, markers: set[str]) -> str:
    """The part of the suite a test belongs to, by what it needs (tests/bench is its own part)."""
    if nodeid.startswith("tests/bench/"):
        return "bench"
    return max((part for part, needs in PART_MARKERS.items() if markers & needs), key=PARTS.index, default="fast")


class _Writer:
    """In the controller: every report's figures, summed per file, part, fixture, lane and worker, and each test's
    worker and span (the timeline), written at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.monotonic()
        self.files: dict[str, dict] = defaultdict(lambda: {"tests": 0, "seconds": 0.0, "slept": 0.0, "part": ""})
        self.by_part: dict[str, dict] = defaultdict(lambda: {"tests": 0, "seconds": 0.0, "slept": 0.0})
        self.fixtures: dict[str, dict] = defaultdict(lambda: {"seconds": 0.0, "slept": 0.0, "first_needed_by": ""})
        self.lanes: dict[str, dict] = defaultdict(lambda: {"tests": 0, "seconds": 0.0})
        self.workers: dict[str, dict] = defaultdict(lambda: {"tests": 0, "seconds": 0.0, "last_ended": 0.0})
        self.epoch = time.time()  # reports carry wall-clock start and stop
        self.timeline: dict[str, list] = {}  # nodeid -> [worker, started, ended], seconds into the run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        figures = dict(report.user_properties).get("timings", {"slept": 0.0, "fixtures": {}, "part": "fast"})
        in_fixtures = sum(seconds for seconds, _ in figures["fixtures"].values())
        part = figures["part"]
        counted = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
        file = self.files[report.nodeid.split("::", 1)[0]]
        file["part"] = max(file["part"] or part, part, key=PARTS.index)  # a file's widest need names it
        for entry in (file, self.by_part[part]):
            entry["seconds"] += max(report.duration - in_fixtures, 0.0)
            entry["slept"] += figures["slept"]
            entry["tests"] += counted
        gateway = getattr(getattr(report, "node", None), "gateway", None)  # pytest-xdist's worker, in its controller
        worker_id = gateway.id if gateway else "main"
        lane = self.lanes[lane_of(report.nodeid) or "no lane"]
        worker = self.workers[worker_id]
        for entry in (lane, worker):
            entry["seconds"] += report.duration  # fixtures included: the time the lane or worker spent
            entry["tests"] += counted
        worker["last_ended"] = time.monotonic() - self.started
        span = self.timeline.setdefault(report.nodeid, [worker_id, report.start - self.epoch, 0.0])
        span[2] = report.stop - self.epoch
        for name, (seconds, slept) in figures["fixtures"].items():
            self.fixtures[name]["seconds"] += seconds
            self.fixtures[name]["slept"] += slept
            self.fixtures[name]["first_needed_by"] = self.fixtures[name]["first_needed_by"] or report.nodeid

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        data = {
            "wall_seconds": time.monotonic() - self.started,
            "parts": self.by_part,
            "files": self.files,
            "fixtures": self.fixtures,
            "lanes": self.lanes,
            "workers": self.workers,
            "timeline": self.timeline,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.path)
