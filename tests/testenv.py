"""Environment defaults for the test run, loaded by `-p tests.testenv` before Django reads settings.

Tests run with production settings (DEBUG off), pointed at the local services. A variable
already set in the environment wins, so CI or a developer can point elsewhere.
"""

import os
import urllib.parse

TEST_ENV = {
    "SECRET_KEY": "test-only-secret-key-" + "t" * 40,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
}

for name, value in TEST_ENV.items():
    os.environ.setdefault(name, value)


def databases_of_their_own(name: str) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL for a pytest run started inside this one (a copy's own tests): another database
    name, so its test database (test_NAME) never meets this run's, which lives until this run ends."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": url._replace(path=f"/{name}").geturl(), "REDIS_URL": "redis://127.0.0.1:6379/6"}
