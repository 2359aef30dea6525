"""tests/testenv.py: only pytest-xdist's controller, which runs no test, goes without Django."""

from __future__ import annotations

from argparse import Namespace

import pytest

from tests.testenv import xdist_controller


@pytest.mark.parametrize(
    ("options", "worker", "controller"),
    [
        (Namespace(numprocesses=2), None, True),
        (Namespace(numprocesses=2), "gw0", False),  # a worker runs the tests: Django is set up there
        (Namespace(numprocesses=0), None, False),  # -n 0: the tests run in this process
        (Namespace(numprocesses="auto"), None, False),  # may come to 0: set up as any run is
        (Namespace(numprocesses=None), None, False),
        (Namespace(), None, False),  # -p no:xdist
    ],
)
def test_only_a_controller_sure_to_have_workers_goes_without_django(monkeypatch, options, worker, controller):
    if worker is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert xdist_controller(options) is controller
