"""What docs/runtime-contract.md promises about the image, as the tests check it."""

from tasks import ports

UID = "10001"
USER = f"{UID}:{UID}"
WEB_PROD = ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"]
WEB_DEV = ["python", "-m", "devtools.devserver", f"0.0.0.0:{ports.WEB}"]
# Settings refuse to start without these when DEBUG is off; throwaway values for `check`.
SETTINGS_ENV = {
    "SECRET_KEY": "image-test-only-" + "k" * 50,
    "DATABASE_URL": "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "localhost",
}
