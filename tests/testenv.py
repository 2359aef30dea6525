"""Environment defaults for the test run, loaded by `-p tests.testenv` before Django reads settings.

Tests run with production settings (DEBUG off), pointed at the local services. A variable
already set in the environment wins, so CI or a developer can point elsewhere.

pytest-xdist runs tests side by side in workers (gw0, gw1, gw2): each gets Redis databases of its own
(redis_url), and pytest-django gives each its own test database (test_shipyard_gw0, ...).
"""

import os
import urllib.parse

import pytest

from tasks.services.daemons import REDIS_DATABASES  # every run imports it anyway (tests/conftest.py)

# What each Redis database of a test process is for; a worker's block of them follows the one before.
REDIS_USES = ("settings", "stack", "reliability", "containers", "faults", "own")
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_DEFAULT_DATABASES = 16  # a Redis started without --databases, as Debian's service starts it


def redis_number(use: str, worker: int = WORKER) -> int:
    """This test process's own Redis database for USE (0 is left alone)."""
    return 1 + worker * len(REDIS_USES) + REDIS_USES.index(use)


def redis_url(use: str, worker: int = WORKER) -> str:
    """redis://127.0.0.1:6379/N, N = redis_number(USE)."""
    number = redis_number(use, worker)
    if number >= REDIS_DATABASES:
        most = (REDIS_DATABASES - 1) // len(REDIS_USES)  # database 0 is left alone
        raise RuntimeError(
            f"pytest-xdist worker gw{worker} has no Redis databases left: run at most {most} workers (-n {most})"
        )
    return f"redis://127.0.0.1:6379/{number}"


TEST_ENV = {
    "SECRET_KEY": "test-only-secret-key-" + "t" * 40,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": redis_url("settings"),
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
}

for name, value in TEST_ENV.items():
    os.environ.setdefault(name, value)
# A worker inherits the controller's environment, this default included: it takes its own instead.
if os.environ["REDIS_URL"] == redis_url("settings", worker=0):
    os.environ["REDIS_URL"] = TEST_ENV["REDIS_URL"]


def databases_of_their_own(name: str) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL for a pytest run started inside this one (a copy's own tests): another database
    name, so its test database (test_NAME) never meets this run's, which lives until this run ends."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": url._replace(path=f"/{name}").geturl(), "REDIS_URL": redis_url("own")}


def pytest_configure(config: pytest.Config) -> None:
    """Before pytest-xdist starts its workers: if the last one's Redis databases lie past Redis's default 16, ask
    Redis whether it has them. Else each test there would fail on `SELECT` ("DB index is out of range"), and
    each worker that fails to start would be replaced by another, instead of this one line."""
    if not xdist_controller(config.option):
        return
    last = redis_number(REDIS_USES[-1], worker=config.option.numprocesses - 1)
    have = REDIS_DATABASES if last < REDIS_DEFAULT_DATABASES else redis_databases()
    if have is not None and last >= have:
        two = redis_number(REDIS_USES[-1], worker=1) + 1
        more = f", or give Redis {REDIS_DATABASES} (`redis-cli shutdown`, then `invoke services.start`)"
        raise pytest.UsageError(
            f"Redis on 127.0.0.1:6379 has {have} databases and {config.option.numprocesses} pytest-xdist workers "
            f"need {last + 1}: run fewer (-n 2 needs {two}){more if last < REDIS_DATABASES else ''}"
        )


def redis_databases() -> int | None:
    """How many databases the Redis on 127.0.0.1:6379 has; None if none answers (the tests that need it say so)."""
    import redis  # only here: most runs never ask

    try:
        return int(redis.Redis(port=6379, socket_timeout=2).config_get("databases")["databases"])
    except (redis.RedisError, OSError):
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """The settings module for pytest-django, whose hook runs after this one; none for pytest-xdist's controller,
    which runs no test: setting Django up there cost every side-by-side run 0.75 s before its workers started."""
    if not xdist_controller(early_config.known_args_namespace):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def xdist_controller(options: object) -> bool:
    """Sure to hand every test to workers: -n N given, N > 0, in a process that is no worker. "auto" is left
    alone (it may come to 0), and so is --tx without -n: those set Django up as any run does."""
    workers = getattr(options, "numprocesses", None)
    return "PYTEST_XDIST_WORKER" not in os.environ and isinstance(workers, int) and workers > 0
