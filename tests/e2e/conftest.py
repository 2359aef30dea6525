import os

import pytest

from tests.support.needs import need_postgres, need_redis
from tests.support.stack import Stack, drop_database


@pytest.fixture
def stack(tmp_path, request):
    """An isolated stack (database, Redis db, processes), torn down after the test."""
    need_postgres()
    need_redis()
    # One database per test process, so parallel runs (or a leftover) never collide.
    stack = Stack(name=f"shipyard_e2e_{os.getpid()}", log_dir=tmp_path, redis_db=2)
    stack.setup()
    yield stack
    stack.stop()
    drop_database(stack.name)
