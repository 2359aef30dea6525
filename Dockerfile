# shipyard-app: base -> deps -> dev | prod. docs/runtime-contract.md is the interface.
# Build with `invoke image.build --target dev|prod` (tasks/image/builds.py): it enables BuildKit,
# passes the host's CA bundle as a secret and picks the base image. No `# syntax=` line on
# purpose: the engine's built-in Dockerfile frontend is used, so no frontend image is pulled.

# Any Debian-based CPython 3.11 with `venv`: the official image, or shipyard-base:bookworm
# (`invoke image.base --offline`, built from Debian packages for hosts without a registry).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- base: interpreter, user and environment shared by every stage ----------------------------
FROM ${BASE_IMAGE} AS base
ARG BASE_IMAGE
LABEL org.opencontainers.image.base.name=${BASE_IMAGE} \
      org.opencontainers.image.title=shipyard-app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# --- deps: the locked runtime dependencies; rebuilt only when requirements/app.txt changes ------
FROM base AS deps
COPY requirements/app.txt /tmp/requirements/app.txt
# The lock is complete, so --no-deps installs exactly it and `pip check` proves it consistent.
# Wheels only: no compiler is ever needed, in this stage or any other.
# The host CA bundle is a secret mounted for this RUN only (TLS to the index may go through a
# proxy only the host trusts); it never lands in a layer, and PIP_CERT lives only here.
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    --mount=type=secret,id=host_ca \
    if [ -s /run/secrets/host_ca ]; then export PIP_CERT=/run/secrets/host_ca; fi \
 && python3 -m venv /opt/venv \
 && PIP_DISABLE_PIP_VERSION_CHECK=1 pip install --no-deps --only-binary=:all: -r /tmp/requirements/app.txt \
 && pip check

# --- prod-venv: what prod ships of the venv: no installer, bytecode compiled once ---------------
FROM deps AS prod-venv
# The read-only root filesystem can never write .pyc files, so compile them here (pip did for
# the packages; this catches the rest). Translation sources (.po) are never read at run time.
RUN pip uninstall --yes --quiet pip setuptools \
 && find /opt/venv -name '*.po' -delete \
 && python -m compileall -q /opt/venv/lib

# --- dev-deps: the dev lock on top (watchfiles, django-watchfiles, debugpy) ---------------------
FROM deps AS dev-deps
COPY requirements/dev.txt /tmp/requirements/dev.txt
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    --mount=type=secret,id=host_ca \
    if [ -s /run/secrets/host_ca ]; then export PIP_CERT=/run/secrets/host_ca; fi \
 && PIP_DISABLE_PIP_VERSION_CHECK=1 pip install --no-deps --only-binary=:all: -r /tmp/requirements/dev.txt \
 && pip check

# --- dev: runserver, worker, beat restarted warm on edits (app/devtools/: devserver, devworker) -
FROM base AS dev
COPY --from=dev-deps /opt/venv /opt/venv
# skaffold/Tilt sync files into /app as uid 10001, so that user owns the whole tree.
COPY --chown=10001:10001 app/ /app/
WORKDIR /app
USER 10001:10001
EXPOSE 8000 5678
# `-m` run from /app (the WORKDIR) puts /app on sys.path, where config/ and the apps are.
CMD ["python", "-m", "devtools.devserver", "0.0.0.0:8000"]

# --- prod-app: the code prod ships: app/ without the dev-only app/devtools/ ----------------------
# Removed here, in a stage prod copies from, so no layer of the prod image ever holds devtools/.
FROM base AS prod-app
COPY app/ /app/
RUN rm -rf /app/devtools

# --- prod: gunicorn; code owned by root and read-only, run as uid 10001 -------------------------
FROM base AS prod
COPY --from=prod-venv /opt/venv /opt/venv
COPY --from=prod-app /app/ /app/
WORKDIR /app
# Settings refuse to load without their secrets when DEBUG is off: throwaway values, set on
# this RUN only, so none of them persists in the image's environment.
RUN SECRET_KEY=collectstatic-only-not-a-secret \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
# Exec form: gunicorn is PID 1 and receives SIGTERM itself. The manifests set `command` for
# worker, beat and migrate (docs/runtime-contract.md).
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"]
