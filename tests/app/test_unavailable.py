"""Which errors mean "a dependency is unreachable" (a 503 naming it, with Retry-After) and which stay a 500.
The middleware on a real outage: tests/reliability/test_dependency_faults.py and the cluster's fault tests."""

import json

import pytest
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from ops.unavailable import unavailable


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (OperationalError("could not connect to server: Connection refused"), "postgresql"),
        (InterfaceError("connection already closed"), "postgresql"),
        (RedisConnectionError("Error 111 connecting to redis:6379"), "redis"),
        (BrokerError("[Errno 111] Connection refused"), "redis"),
    ],
)
def test_an_unreachable_dependency_is_a_503_naming_it_with_retry_after(error, dependency):
    response = unavailable(error)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    body = json.loads(response.content)
    assert body["dependency"] == dependency and "unreachable" in body["error"]


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("text"), RuntimeError()])
def test_any_other_error_is_left_alone_to_be_a_500(error):
    assert unavailable(error) is None
