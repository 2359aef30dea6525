"""A request that needs PostgreSQL or Redis while it is unreachable gets a 503 naming it, with Retry-After: the
client may try again, and a load balancer or the probes see an outage, not a bug. Any other error stays a 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
# Exception types that mean "could not reach it", by the dependency they name.
UNREACHABLE = (
    ((OperationalError, InterfaceError), "postgresql", "PostgreSQL"),
    ((BrokerError, RedisConnectionError, RedisTimeoutError), "redis", "Redis"),
)


def unavailable(exception: BaseException) -> JsonResponse | None:
    """The 503 for an exception that says a dependency is unreachable; None for any other."""
    for types, dependency, name in UNREACHABLE:
        if isinstance(exception, types):
            first_line = (str(exception).strip().splitlines() or [""])[0]  # drivers' messages run to many lines
            log.warning("%s is unreachable: %s", name, first_line)
            response = JsonResponse(
                {"error": f"{name} is unreachable; try again in {RETRY_AFTER_SECONDS} s", "dependency": dependency},
                status=503,
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
    return None


class DependencyUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        return unavailable(exception)
