"""tasks/bench/cpu_sampler.py: what `invoke bench --suite` says about where the CPU went."""

from __future__ import annotations

import resource
import subprocess
import sys
import uuid

import pytest

from tasks.bench.cpu_sampler import CpuSampler, label


def test_a_program_is_named_by_its_command_and_an_interpreter_by_what_it_runs():
    assert label(["/usr/bin/dockerd", "-H", "unix://"], "dockerd") == "dockerd"
    assert label(["/opt/venv/bin/python", "-m", "pytest", "-n", "3"], "python") == "python -m pytest"
    assert label(["/usr/bin/python3", "/app/manage.py", "migrate"], "python3") == "python manage.py"
    assert label([], "kworker/1:1") == "kworker/1:1"  # a kernel thread has no command line


BURN = "n = 0\nfor i in range(5_000_000):\n    n += i\nprint('burnt', flush=True)\nimport sys\nsys.stdin.read()"


@pytest.mark.slow  # half a second of one core
def test_a_busy_child_is_counted_under_its_program_and_the_cores_busy_time_holds_it(tmp_path):
    script = tmp_path / f"burn_{uuid.uuid4().hex[:8]}.py"  # a name no other process here has
    script.write_text(BURN)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with CpuSampler(every=0.05) as cpu:
        # The child waits once it has burnt its CPU, so the sampler's last look still finds all of it.
        child = subprocess.Popen([sys.executable, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "burnt\n"
    child.communicate("")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = cpu.result(top=100_000)  # every program: others run beside this test
    counted = dict(result["busiest"]).get(f"python {script.name}", 0.0)
    # result() gives tenths (up to 0.05 off), /proc whole clock ticks of user and system time (0.02), and the
    # interpreter's exit comes after the last look: 0.05 alone was wrong by the rounding (0.3 against 0.352).
    assert abs(counted - used) <= 0.1, (used, result)
    assert result["busy_cpu_seconds"] >= counted - 0.05 and result["seen_cpu_seconds"] >= counted
    assert result["seconds"] > 0 and result["cores"] >= 1
