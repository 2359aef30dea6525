"""Settings come from the environment and production refuses to start without its secrets."""

import subprocess

import pytest

from tests.support.processes import manage_many
from tests.testenv import TEST_ENV

PROD_ENV = {
    "SECRET_KEY": "settings-test-" + "k" * 50,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "app.example.com",
}
# The test run's own defaults (tests/testenv.py) must not leak into these processes.
EMPTY = dict.fromkeys([*TEST_ENV, "DEBUG"])


# Every case's manage.py, by name: each a process of its own (settings are read once per process).
CASES = {
    **{f"without {name}": (EMPTY | PROD_ENV | {name: None}, ("check",)) for name in PROD_ENV},
    "dev defaults": (EMPTY | {"DEBUG": "true"}, ("check",)),
    "debug unset": (EMPTY | PROD_ENV, ("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")),
    "check --deploy": (EMPTY | PROD_ENV, ("check", "--deploy", "--fail-level", "WARNING")),
    "migrations": (EMPTY | PROD_ENV, ("makemigrations", "--check", "--dry-run")),
    "log format yaml": (EMPTY | PROD_ENV | {"LOG_FORMAT": "yaml"}, ("check",)),
}


@pytest.fixture(scope="module")
def ran() -> dict[str, subprocess.CompletedProcess]:
    """Every case run once, side by side, each forked from one warm interpreter: a fresh interpreter each cost
    most of a second of one core, nearly all of it importing the same libraries."""
    return manage_many(CASES)


@pytest.mark.parametrize("missing", sorted(PROD_ENV))
def test_production_stops_with_one_line_naming_the_missing_variable(ran, missing):
    result = ran[f"without {missing}"]
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ImproperlyConfigured: set the {missing} environment variable")


def test_debug_runs_on_dev_defaults_without_any_variable(ran):
    assert ran["dev defaults"].returncode == 0, ran["dev defaults"].stderr


def test_debug_is_off_unless_set(ran):
    result = ran["debug unset"]
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_check_deploy_passes_at_warning_level_with_production_settings(ran):
    result = ran["check --deploy"]
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_agree(ran):
    result = ran["migrations"]
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_log_format_stops_start_up_with_one_line(ran):
    result = ran["log format yaml"]
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "ImproperlyConfigured: LOG_FORMAT='yaml' is not a log format; set LOG_FORMAT=json or text"
    ]
