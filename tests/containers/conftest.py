"""Run each workload of the rendered dev and prod overlays as the manifest says, in Docker."""

from __future__ import annotations

import os

import psycopg2
import pytest
import redis

from tasks.containers.podrun import RunningPod
from tasks.containers.podspec import pod
from tasks.k8s.kustomize import render
from tests import testenv
from tests.image.conftest import base_image, dev_image, prod_image  # noqa: F401 - shared fixtures
from tests.support.loopback_stack import drop_database, recreate_database

# The image each overlay runs (skaffold/Tilt or promotion supply it in a real cluster).
TARGET = {"dev": "dev", "prod": "prod"}
TEST_SECRET_KEY = "container-test-only-" + "c" * 40


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict]]:
    return {overlay: render(overlay) for overlay in TARGET}


@pytest.fixture
def datastores():
    """A fresh database and Redis db for one test: the test values of the data-store URLs."""
    name = f"shipyard_ct_{os.getpid()}"
    database_url = recreate_database(name)
    redis_url = testenv.redis_url("containers")
    redis.Redis.from_url(redis_url).flushdb()
    yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    drop_database(name)


class Pods:
    """Starts workloads of one overlay as pods and removes them all at the end."""

    def __init__(self, overlay: str, objects: list[dict], image: str, datastores: dict[str, str]):
        self.overlay, self.objects, self.image = overlay, objects, image
        # staging/prod read app-secrets from a Secret made out of band: test values here.
        self.out_of_band = {"app-secrets": {"SECRET_KEY": TEST_SECRET_KEY, **datastores}}
        # dev's committed Secret points at in-cluster PostgreSQL/Redis: these tests use their own.
        self.overrides = dict(datastores)
        self.started: list[RunningPod] = []

    def start(self, workload: str, **env: str) -> RunningPod:
        running = RunningPod(pod(self.objects, workload, self.out_of_band), self.image, {**self.overrides, **env})
        self.started.append(running)
        running.start()
        return running

    def config(self, key: str) -> str:
        (config_map,) = [
            o for o in self.objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("app-config")
        ]
        return config_map["data"][key]

    def remove_all(self) -> None:
        for running in self.started:
            running.remove()

    def rows(self) -> list[tuple]:
        with psycopg2.connect(self.overrides["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT id::text, status, attempts FROM analysis_job")
            return cur.fetchall()


@pytest.fixture(params=sorted(TARGET))
def pods(request, rendered, datastores):
    overlay = request.param
    image = request.getfixturevalue(f"{TARGET[overlay]}_image").tag
    pods = Pods(overlay, rendered[overlay], image, datastores)
    yield pods
    pods.remove_all()
