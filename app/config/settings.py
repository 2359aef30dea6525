"""Django settings, every value from the environment (12-factor).

docs/runtime-contract.md lists the variables. DEBUG is off unless set; with DEBUG off,
SECRET_KEY, DATABASE_URL, REDIS_URL and ALLOWED_HOSTS are required.
"""

from pathlib import Path

from config.env import DEBUG, env, log_level, required
from ops.logs import log_format, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ---------------------------------------------------------------------------------
SECRET_KEY = required("SECRET_KEY", "<50+ random characters>", "dev-only-insecure-key-" + "x" * 40)
ALLOWED_HOSTS = required("ALLOWED_HOSTS", "app.example.com", "*").split(",")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Probes, request ids, metrics, logs, wait_for_db and the locked migrate (before any app with a migrate).
    "ops",
    "analysis",
]
if DEBUG:
    # Faster, cheaper reloads for runserver in the dev image (optional elsewhere).
    try:
        import django_watchfiles  # noqa: F401

        INSTALLED_APPS.append("django_watchfiles")
    except ImportError:
        pass

MIDDLEWARE = [
    # First: probes answer before host validation (kubelet sends the pod IP as Host).
    "ops.health.HealthCheckMiddleware",
    # Every other request gets an id and one log line (ops/request_id.py); probes do not.
    "ops.request_id.RequestIdMiddleware",
    # Counted and timed by view and status (ops/request_metrics.py); probes are not.
    "ops.request_metrics.RequestMetricsMiddleware",
    # PostgreSQL or Redis unreachable: a 503 naming it, with Retry-After, instead of a 500 (ops/unavailable.py).
    "ops.unavailable.DependencyUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores ------------------------------------------------------------------------------
DATABASE_URL = required(
    "DATABASE_URL", "postgres://user:pass@db:5432/app", "postgres://shipyard:shipyard@127.0.0.1:5432/shipyard"
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"].update(
    CONN_MAX_AGE=env.int("DB_CONN_MAX_AGE", default=60),
    CONN_HEALTH_CHECKS=True,
    # Fail fast when PostgreSQL is down, so readiness answers within its probe timeout.
    OPTIONS={"connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=3)},
)

REDIS_URL = required("REDIS_URL", "redis://redis:6379/0", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shipyard",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --- Celery: at-least-once delivery, so every task must be idempotent ----------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True  # results live in PostgreSQL, on the job row
CELERY_TASK_ACKS_LATE = True  # ack after the task ran, so a crash redelivers it
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed child requeues its task instead of failing it
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a busy worker does not hoard messages
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=50)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Redis redelivers an unacked message after this long; keep it above the hard time limit.
# Workers sweep for such messages every interval x throttle seconds (kombu's defaults: 10 x 10).
# The polling interval bounds how long the worker's loop waits on Redis, so how fast it stops.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=1.0),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Beat's default scheduler, plus the heartbeat file its liveness probe reads (ops/heartbeat.py).
CELERY_BEAT_SCHEDULER = "ops.heartbeat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-jobs": {
        "task": "analysis.requeue_stale_jobs",
        "schedule": env.float("STALE_JOB_SWEEP_SECONDS", default=60.0),
    },
}

# --- The analysis domain ------------------------------------------------------------------------
ANALYSIS_MAX_TEXT_CHARS = env.int("ANALYSIS_MAX_TEXT_CHARS", default=100_000)
# A job untouched this long is re-enqueued by beat (safe: the task is idempotent).
ANALYSIS_STALE_AFTER_SECONDS = env.int("ANALYSIS_STALE_AFTER_SECONDS", default=300)
# Slows every job down: for fault-injection tests and demos only.
ANALYSIS_DELAY_SECONDS = env.float("ANALYSIS_DELAY_SECONDS", default=0.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Security (check --deploy passes with DEBUG off) --------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Hashed, compressed names from the manifest collectstatic writes (the prod image does it at
# build time). With DEBUG on, Django serves plain names, so dev needs no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- I18N -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: everything to stdout, for kubectl logs ---------------------------------------
LOG_FORMAT = log_format()
LOGGING = logging_config(LOG_FORMAT, log_level())
