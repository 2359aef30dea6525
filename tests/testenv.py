"""Environment defaults for the test run, loaded by `-p tests.testenv` before Django reads settings.

Tests run with production settings (DEBUG off), pointed at the local services. A variable
already set in the environment wins, so CI or a developer can point elsewhere.
"""

import os

TEST_ENV = {
    "SECRET_KEY": "test-only-secret-key-" + "t" * 40,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
}

for name, value in TEST_ENV.items():
    os.environ.setdefault(name, value)
