"""The API's OpenAPI contract (/api/openapi.json), fuzzed by schemathesis against the real stack: gunicorn, a
Celery worker, PostgreSQL and Redis. Every answer must be a documented status with a JSON body that matches the
contract, never a 5xx; a 4xx stores no row and queues no message; a 202's job is done by the worker.

Bounded: EXAMPLES per operation and mode, inputs the schema allows and inputs it does not; a failure names its
seed (rerun with CONTRACT_SEED=N)."""

from __future__ import annotations

import os
import random

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode

from tests import testenv
from tests.support.jobs import finished
from tests.support.loopback_stack import Stack
from tests.support.processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

EXAMPLES = 60


class Live:
    """The stack under test and what it has stored and queued."""

    def __init__(self, stack: Stack, url: str, worker_log) -> None:
        self.stack, self.url, self.worker_log = stack, url, worker_log
        self.broker = redis.Redis.from_url(stack.env["REDIS_URL"])

    def rows(self) -> int:
        with self.stack.db() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM analysis_job")
            return cur.fetchone()[0]

    def published(self) -> int:
        """Messages ever queued: those still in the queue and those the worker received (it logs each)."""
        return self.broker.llen("celery") + self.worker_log().count("Task analysis.analyse_text[")

    def quiet(self) -> tuple[int, int]:
        """(rows, messages) once every accepted job is done: nothing moves while one example runs."""
        wait_until("the queue to drain", lambda: self.broker.llen("celery") == 0, 60, 0.05)
        return self.rows(), self.published()


@pytest.fixture(scope="module")
def live(tmp_path_factory, migrated):
    stack = Stack(
        name=f"shipyard_contract_{os.getpid()}",
        log_dir=tmp_path_factory.mktemp("contract"),
        redis_url=testenv.redis_url("reliability"),
        migrated=migrated,
    )
    stack.setup()
    try:
        _, url = stack.start_web()
        worker = stack.start_worker()
        yield Live(stack, url, worker.log)
    finally:
        stack.teardown()


def operations(url: str) -> list:
    """The contract's operations as the running web serves it."""
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    # An input that breaks the schema may be refused as too large, too: 413 is a rejection.
    schema.config.checks.negative_data_rejection.expected_statuses = ["400", "404", "405", "413", "415"]
    return [result.ok() for result in schema.get_all_operations()]


def negatable(raw: dict) -> bool:
    """Whether an operation takes anything an input can break: a body or a path parameter."""
    return "requestBody" in raw or any(parameter["in"] == "path" for parameter in raw.get("parameters", []))


def check_one(live: Live, case) -> None:
    before = live.quiet()
    response = case.call_and_validate(base_url=live.url)  # documented status, content type, body; no 5xx
    assert response.status_code < 500, response.text
    assert response.headers.get("content-type") == ["application/json"], response.headers
    if 400 <= response.status_code < 500:
        assert live.quiet() == before, f"a {response.status_code} stored or queued something"
    if response.status_code == 202:
        assert finished(live.url, response.json()["id"])["status"] == "done"  # the worker did the accepted job


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_every_answer_is_documented_json_and_never_a_5xx(live, mode):
    run_seed = int(os.environ.get("CONTRACT_SEED") or random.randrange(2**32))
    for operation in operations(live.url):
        if mode is GenerationMode.NEGATIVE and not negatable(operation.definition.raw):
            continue  # only an optional free-form header: no input breaks its schema

        @seed(run_seed)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case) -> None:
            check_one(live, case)

        try:
            fuzz()
        except BaseException as failure:
            failure.add_note(f"{operation.label} ({mode.value}): rerun with CONTRACT_SEED={run_seed}")
            raise
