"""`invoke services.start` leaves services that already answer alone, and says what it found."""

from __future__ import annotations

import pytest

from tasks.services.daemons import PG_PORT, REDIS_PORT
from tasks.services.reach import port_open
from tests.checks.cli import invoke

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_start_is_idempotent_and_reports_each_service():
    for _ in range(2):
        result = invoke("services.start", "--no-docker", timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == f"PostgreSQL: postgres://shipyard:shipyard@127.0.0.1:{PG_PORT}/shipyard"
        assert lines[1] == f"Redis:      redis://127.0.0.1:{REDIS_PORT}/0"
        assert lines[-1] == "services ready"
    assert port_open("127.0.0.1", PG_PORT) and port_open("127.0.0.1", REDIS_PORT)
