"""Settings come from the environment and production refuses to start without its secrets."""

import pytest

from tests.support.processes import manage
from tests.testenv import TEST_ENV

PROD_ENV = {
    "SECRET_KEY": "settings-test-" + "k" * 50,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "app.example.com",
}
# The test run's own defaults (tests/testenv.py) must not leak into these processes.
EMPTY = dict.fromkeys([*TEST_ENV, "DEBUG"])


@pytest.mark.parametrize("missing", sorted(PROD_ENV))
def test_production_stops_with_one_line_naming_the_missing_variable(missing):
    env = EMPTY | PROD_ENV | {missing: None}
    result = manage(env, "check")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ImproperlyConfigured: set the {missing} environment variable")


def test_debug_runs_on_dev_defaults_without_any_variable():
    result = manage(EMPTY | {"DEBUG": "true"}, "check")
    assert result.returncode == 0, result.stderr


def test_debug_is_off_unless_set():
    result = manage(EMPTY | PROD_ENV, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_check_deploy_passes_at_warning_level_with_production_settings():
    result = manage(EMPTY | PROD_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_agree():
    result = manage(EMPTY | PROD_ENV, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_log_format_stops_start_up_with_one_line():
    result = manage(EMPTY | PROD_ENV | {"LOG_FORMAT": "yaml"}, "check")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "ImproperlyConfigured: LOG_FORMAT='yaml' is not a log format; set LOG_FORMAT=json or text"
    ]
