"""Liveness (/healthz) and readiness (/readyz), answered before any other middleware.

Liveness touches nothing outside the process, so a database outage never restarts web.
Readiness checks PostgreSQL and Redis, so a pod that cannot serve leaves the Service, and
that the schema has every migration this code knows: web and the migrate Job start together
(skaffold applies them at once), and web must not take traffic on an old schema.

A database ahead of the code (migrations applied that this code lacks: a branch switch in dev, a
rollback in prod) is named in the answer but does not fail readiness: a rollback must still serve.
"""

from collections.abc import Callable

import redis
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponse, JsonResponse

_redis_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _redis_client


def postgres_ok() -> bool:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        # Drop the broken connection so the next probe reconnects from scratch.
        connection.close_if_unusable_or_obsolete()
        connection.close()
        return False


def redis_ok() -> bool:
    try:
        return bool(_redis().ping())
    except redis.RedisError:
        return False


_migrated = False


def migrations_ok() -> bool:
    """True once the schema has every migration this code knows; after that it is not asked again."""
    global _migrated
    if not _migrated:
        try:
            executor = MigrationExecutor(connections["default"])
            _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            return False
    return _migrated


_on_disk: set[tuple[str, str]] | None = None
AHEAD_FIX = (
    "the database has migrations this code lacks (another branch's?): on the branch that has them run "
    "`invoke manage -- migrate APP TARGET` to unapply them, or `invoke db.restore NAME` a snapshot"
)


def unknown_migrations() -> list[str]:
    """ "app.name" of each migration the database has applied that this code does not have; [] when unknowable."""
    global _on_disk
    if _on_disk is None:  # the code's migrations never change while it runs
        _on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    labels = {config.label for config in apps.get_app_configs()}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = cursor.fetchall()
    except DatabaseError:  # no table yet: nothing is applied
        return []
    return sorted(f"{app}.{name}" for app, name in applied if app in labels and (app, name) not in _on_disk)


CHECKS: dict[str, Callable[[], bool]] = {"postgres": postgres_ok, "redis": redis_ok}


def readiness() -> JsonResponse:
    failing = [name for name, check in CHECKS.items() if not check()]
    if "postgres" not in failing and not migrations_ok():  # unknowable while PostgreSQL is down
        failing.append("migrations")
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    ahead = unknown_migrations()
    if ahead:
        return JsonResponse({"status": "ok", "unknown_migrations": ahead, "fix": AHEAD_FIX})
    return JsonResponse({"status": "ok"})


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.path, never request.get_host(): probes come with the pod IP as Host.
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            return readiness()
        return self.get_response(request)
